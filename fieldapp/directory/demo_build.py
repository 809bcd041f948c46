"""Writes the demo HSDS 3.1 package in fieldapp/directory/demo_hsds/ (run by hand after edits:
`.venv/bin/python -m fieldapp.directory.demo_build`).  Everything here is FICTIONAL: names end
in "(demo)", phones are 902-555-01xx, e-mails @demo.test.  Verified dates are written relative
to REFERENCE_DATE; demo.load() moves them so "N days ago" stays true whenever it runs."""

import csv
import json
import uuid
from datetime import date, timedelta
from pathlib import Path

from fieldapp.directory import categories, hsds

OUT = Path(__file__).parent / "demo_hsds"
REFERENCE_DATE = date(2026, 3, 1)
NS = uuid.UUID("5d0c8f3e-7a52-4b8e-9a0d-1f6c2b3a4e5d")

CRISIS_TEAM_ID = "6f1c2d3e-5a4b-4c8d-9e0f-000000000001"
YOUTH_SHELTER_ID = "6f1c2d3e-5a4b-4c8d-9e0f-000000000002"
SENIORS_SERVICE_ID = "6f1c2d3e-5a4b-4c8d-9e0f-000000000003"


def uid(*parts) -> str:
    return str(uuid.uuid5(NS, "|".join(parts)))


# key: (id, name, description, email, website)
ORGS = {
    "crisis": (CRISIS_TEAM_ID, "Harbourside Mobile Crisis Team (demo)",
               "Demo: mental-health mobile crisis team, 24/7.", "intake@crisis.demo.test"),
    "youth": (YOUTH_SHELTER_ID, "Northwind Youth Shelter (demo)",
              "Demo: emergency shelter and outreach for youth 16-24.",
              "intake@youth-shelter.demo.test"),
    "seniors": (SENIORS_SERVICE_ID, "Bayview Seniors' Outreach (demo)",
                "Demo: wellness visits and supports for seniors living alone.",
                "intake@seniors.demo.test"),
    "food": (uid("org", "food"), "Dartmouth Harbour Food Bank (demo)",
             "Demo: food bank, community meals and a mobile pantry.", "info@foodbank.demo.test"),
    "food_dup": (uid("org", "food_dup"), "Dartmouth Harbor Food Bank Society (demo)",
                 "Demo: food bank (older listing, possibly a duplicate).",
                 "info@foodbank.demo.test"),
    "family": (uid("org", "family"), "Bedford Basin Family Resource Centre (demo)",
               "Demo: parenting programs and family support workers.",
               "hello@familycentre.demo.test"),
    "legal": (uid("org", "legal"), "Chebucto Community Legal Clinic (demo)",
              "Demo: free legal advice for people with low incomes.", "clinic@legal.demo.test"),
    "health": (uid("org", "health"), "North End Community Health Centre (demo)",
               "Demo: community health centre with walk-in care and outreach nursing.",
               "frontdesk@northendhealth.demo.test"),
    "veterans": (uid("org", "veterans"), "Atlantic Veterans Support Network (demo)",
                 "Demo: peer support and navigation for veterans and their families.",
                 "contact@veterans.demo.test"),
    "recovery": (uid("org", "recovery"), "Recovery Harbour Addiction Services (demo)",
                 "Demo: withdrawal management, opioid treatment and counselling.",
                 "intake@recovery.demo.test"),
    "housing": (uid("org", "housing"), "Sackville Rivers Housing Support (demo)",
                "Demo: housing first, eviction prevention and a rent bank.",
                "help@housing.demo.test"),
    "friendship": (uid("org", "friendship"), "Eastern Shore Friendship Centre (demo)",
                   "Demo: Indigenous-led community centre offering culture-based supports.",
                   "front@friendship.demo.test"),
    "transition": (uid("org", "transition"), "Safe Harbour Transition House (demo)",
                   "Demo: shelter and outreach for women and children leaving violence.",
                   "support@safeharbour.demo.test"),
    "newcomers": (uid("org", "newcomers"), "Welcome Harbour Newcomer Services (demo)",
                  "Demo: settlement support and interpretation for newcomers.",
                  "bonjour@newcomers.demo.test"),
    "income": (uid("org", "income"), "Citadel Benefits Navigators (demo)",
               "Demo: help applying for income assistance, disability and tax benefits.",
               "navigate@benefits.demo.test"),
    "diversion": (uid("org", "diversion"), "Halifax Youth Diversion Program (demo)",
                  "Demo: restorative justice and diversion for youth 12-17.",
                  "referrals@diversion.demo.test"),
}

# key: (org, name, address_1, city, postal, lat, lon, confidential)
LOCATIONS = {
    "crisis_hq": ("crisis", "Harbourside Crisis Office (demo)", "110 Gottingen Lane", "Halifax",
                  "B3K 0A1", 44.6521, -63.5866, 0),
    "youth_shelter": ("youth", "Northwind House (demo)", "22 Agricola Row", "Halifax",
                      "B3K 0A2", 44.6555, -63.5943, 0),
    "youth_dropin": ("youth", "Northwind Drop-in (demo)", "5 Quinpool Court", "Halifax",
                     "B3L 0A3", 44.6449, -63.5946, 0),
    "seniors_hall": ("seniors", "Bayview Seniors' Hall (demo)", "48 Bayview Crescent",
                     "Halifax", "B3M 0A4", 44.6588, -63.6351, 0),
    "food_main": ("food", "Harbour Food Bank Warehouse (demo)", "300 Wyse Way", "Dartmouth",
                  "B2Y 0A5", 44.6712, -63.5684, 0),
    "food_church": ("food", "St. Andrew's Hall (demo)", "17 Portland Lane", "Dartmouth",
                    "B2Y 0A6", 44.6645, -63.5642, 0),
    "food_dup": ("food_dup", "Harbor Food Bank (demo)", "300 Wyse Way", "Dartmouth", "B2Y 0A5",
                 44.6712, -63.5684, 0),
    "family": ("family", "Family Resource Centre (demo)", "9 Basinview Drive", "Bedford",
               "B4A 0A7", 44.7265, -63.6551, 0),
    "legal": ("legal", "Chebucto Legal Clinic (demo)", "61 Barrington Mews", "Halifax",
              "B3J 0A8", 44.6469, -63.5725, 0),
    "health": ("health", "North End Health Centre (demo)", "2 Creighton Place", "Halifax",
               "B3K 0A9", 44.6561, -63.5889, 0),
    "veterans": ("veterans", "Veterans Hub (demo)", "80 Windmill Road", "Dartmouth",
                 "B3B 0B1", 44.6842, -63.5868, 0),
    "recovery": ("recovery", "Recovery Harbour Centre (demo)", "33 Mumford Close", "Halifax",
                 "B3L 0B2", 44.6403, -63.6194, 0),
    "housing": ("housing", "Sackville Housing Office (demo)", "700 Cobequid Lane",
                "Lower Sackville", "B4C 0B3", 44.7709, -63.6772, 0),
    "friendship": ("friendship", "Friendship Centre (demo)", "12 Main Street East",
                   "Musquodoboit Harbour", "B0J 0B4", 44.7906, -63.1480, 0),
    "transition": ("transition", "Confidential shelter address (demo)", "Confidential",
                   "Halifax", "B3H 0B5", 44.6400, -63.5800, 1),
    "newcomers": ("newcomers", "Welcome Harbour Centre (demo)", "45 Spring Garden Walk",
                  "Halifax", "B3J 0B6", 44.6427, -63.5795, 0),
    "income": ("income", "Citadel Navigators Office (demo)", "90 Brunswick Steps", "Halifax",
               "B3J 0B7", 44.6475, -63.5779, 0),
    "diversion": ("diversion", "Youth Diversion Office (demo)", "15 Alderney Landing",
                  "Dartmouth", "B2Y 0B8", 44.6659, -63.5680, 0),
}

WEEKDAYS = "MO,TU,WE,TH,FR"
ALL = "MO,TU,WE,TH,FR,SA,SU"
H247 = [(ALL, "00:00", "24:00")]
OFFICE = [(WEEKDAYS, "09:00", "17:00")]

# (key, org, location, name, description, categories, populations, languages, hours,
#  phone suffix, accepts_referrals, partnerships, verified days ago, extra dict)
S = []


def service(key, org, loc, name, desc, cats, pops, langs, hours, phone, ref=0, partners="",
            days=30, **extra):
    S.append((key, org, loc, name, desc, cats, pops, langs, hours, phone, ref, partners, days,
              extra))


service("crisis_mobile", "crisis", "crisis_hq", "Mobile Crisis Response (demo)",
        "Clinicians and peer workers attend mental-health crises in the community with or "
        "without police, 24 hours a day. De-escalation, assessment and safety planning.",
        "mental_health_crisis,health", "mental_health,unsheltered,chronically_involved",
        "en,fr", H247, "01", 1, "HRP,RCMP", 12,
        intake_phone="902-555-0102", intake_email="intake@crisis.demo.test",
        intake_instructions="Call the intake line; officers on scene may request a joint "
                            "response. Have the person's name and location ready.",
        eligibility_description="Anyone in Halifax Regional Municipality experiencing a "
                                "mental-health crisis.", fees="Free",
        keywords="crisis, suicide, psychosis, de-escalation, santé mentale")
service("crisis_line", "crisis", "crisis_hq", "Harbourside Crisis Line (demo)",
        "Free confidential telephone support for anyone in distress, day or night. "
        "Counsellors can dispatch the mobile team.", "mental_health_crisis",
        "mental_health", "en,fr", H247, "03", 0, "HRP", 20, fees="Free",
        keywords="crisis line, telephone support, ligne de crise")
service("crisis_followup", "crisis", "crisis_hq", "Crisis Follow-up Clinic (demo)",
        "Short-term follow-up appointments within 72 hours of a crisis: counselling, "
        "medication review and connection to longer-term care.",
        "mental_health_crisis,health", "mental_health", "en",
        [(WEEKDAYS, "08:30", "12:00"), (WEEKDAYS, "13:00", "16:30")], "04", 1, "HRP", 45,
        intake_phone="902-555-0102", intake_email="intake@crisis.demo.test",
        intake_instructions="Referral from the mobile team, an officer or a family doctor.",
        fees="Free")
service("crisis_peer", "crisis", "crisis_hq", "Peer Support Drop-in (demo)",
        "Drop in and talk with trained peers who have lived experience of mental illness.",
        "mental_health_crisis", "mental_health,unsheltered", "en",
        [("TU,TH", "13:00", "17:00"), ("SA", "10:00", "14:00")], "05", 0, "", 210)
service("crisis_dup", "crisis", "crisis_hq", "Mobile Crisis Response Team (demo)",
        "Mobile crisis team for mental-health emergencies (duplicate listing kept by mistake).",
        "mental_health_crisis", "mental_health", "en", H247, "01", 0, "", 400)
service("youth_shelter", "youth", "youth_shelter", "Emergency Youth Shelter (demo)",
        "Emergency beds, meals and showers for young people aged 16 to 24. Staff on site "
        "around the clock.", "housing_shelter,youth", "youth_12_17,unsheltered",
        "en,fr", H247, "10", 1, "HRP,RCMP", 8,
        intake_phone="902-555-0111", intake_email="intake@youth-shelter.demo.test",
        intake_instructions="Call ahead if possible; walk-ins welcome. Youth under 16: call "
                            "child protection after hours.",
        minimum_age="16", maximum_age="24", fees="Free",
        keywords="shelter, beds, hébergement jeunesse, refuge")
service("youth_outreach", "youth", "youth_dropin", "Street Outreach Van (demo)",
        "Evening and overnight outreach van bringing food, warm clothing and harm-reduction "
        "supplies to young people sleeping rough.", "youth,housing_shelter,food_basic_needs",
        "youth_12_17,unsheltered,substance_use", "en", [(ALL, "20:00", "02:00")], "12", 1,
        "HRP", 16, intake_phone="902-555-0112",
        intake_instructions="Call the van line with a location; the van comes within an hour.")
service("youth_dropin", "youth", "youth_dropin", "Youth Drop-in Centre (demo)",
        "After-school and evening drop-in: snacks, laundry, computers, and a youth worker to "
        "talk to.", "youth", "youth_12_17", "en,fr",
        [(WEEKDAYS, "15:00", "21:00"), ("SA", "12:00", "18:00")], "13", 0, "", 60)
service("youth_transitional", "youth", "youth_shelter", "Transitional Housing for Youth (demo)",
        "Supported apartments for up to two years for youth 18-24 leaving care or shelter.",
        "housing_shelter,youth", "unsheltered", "en", OFFICE, "14", 1, "", 190,
        intake_email="housing@youth-shelter.demo.test",
        intake_instructions="Application with a case worker; waitlist of about three months.")
service("seniors_visits", "seniors", "seniors_hall", "Seniors' Wellness Visits (demo)",
        "Weekly home visits to seniors who live alone: wellness checks, errands, and "
        "connection to home care.", "seniors,health", "senior_65_plus", "en,fr", OFFICE,
        "20", 1, "HRP,RCMP", 5, intake_phone="902-555-0121",
        intake_email="intake@seniors.demo.test",
        intake_instructions="Officers may refer with the senior's consent; family may call.",
        keywords="aînés, wellness check, loneliness, isolation")
service("seniors_calls", "seniors", "seniors_hall", "Seniors' Safety Check-in Calls (demo)",
        "Daily telephone check-ins for isolated seniors, seven days a week.",
        "seniors", "senior_65_plus", "en,fr", [(ALL, "09:00", "12:00")], "22", 1, "HRP", 30,
        intake_phone="902-555-0121")
service("seniors_abuse", "seniors", "seniors_hall", "Elder Abuse Support Line (demo)",
        "Confidential advice for seniors facing financial, physical or emotional abuse.",
        "seniors,legal", "senior_65_plus", "en", OFFICE, "23", 1, "RCMP", 75,
        intake_phone="902-555-0123")
service("seniors_meals", "seniors", "seniors_hall", "Bayview Hot Meals for Seniors (demo)",
        "Hot lunches delivered to seniors' homes on weekdays; frozen meals for weekends.",
        "seniors,food_basic_needs", "senior_65_plus", "en", [(WEEKDAYS, "10:00", "13:00")],
        "24", 0, "", 250, fees="$4 per meal; no one refused for inability to pay")
service("seniors_day", "seniors", "seniors_hall", "Adult Day Program (demo)",
        "Day program with activities, lunch and respite for caregivers of seniors with "
        "dementia.", "seniors,family,health", "senior_65_plus", "en",
        [("MO,WE,FR", "09:30", "15:30")], "25", 0, "", 40)
service("food_bank", "food", "food_main", "Harbour Food Bank (demo)",
        "Groceries once a week for households in need. Bring ID for each household member "
        "if you have it.", "food_basic_needs", "", "en,fr,ar",
        [("TU,TH", "10:00", "12:00"), ("TU,TH", "13:00", "16:00"), ("SA", "09:00", "12:00")],
        "30", 1, "", 20, intake_phone="902-555-0130",
        intake_instructions="No referral needed; officers can call ahead for emergency hampers.",
        keywords="groceries, hamper, banque alimentaire")
service("food_meal", "food", "food_church", "Community Supper (demo)",
        "Free hot supper every weekday evening, everyone welcome.", "food_basic_needs",
        "unsheltered", "en", [(WEEKDAYS, "17:00", "18:30")], "31", 0, "", 35, fees="Free")
service("food_mobile", "food", "food_main", "Mobile Pantry (demo)",
        "A truck with groceries visits rural communities on a rotating schedule.",
        "food_basic_needs", "", "en", [("WE", "11:00", "15:00")], "32", 0, "", 95)
service("food_dup", "food_dup", "food_dup", "Harbor Food Bank (demo)",
        "Food bank for households in need (older listing).", "food_basic_needs", "", "en",
        [("TU,TH", "10:00", "16:00")], "30", 0, "", 500)
service("family_parenting", "family", "family", "Parenting Together Program (demo)",
        "Free parenting groups and one-to-one coaching for parents of children 0-12.",
        "family,youth", "child_under_12", "en,fr", [("TU,TH", "09:00", "15:00")], "40", 1,
        "RCMP", 25, intake_email="hello@familycentre.demo.test",
        intake_instructions="Self-referral or by a professional, with the parent's consent.")
service("family_support", "family", "family", "Family Support Workers (demo)",
        "In-home support for families under stress: routines, budgeting, school issues.",
        "family", "child_under_12,youth_12_17", "en", OFFICE, "41", 1, "HRP,RCMP", 18,
        intake_phone="902-555-0141", intake_email="hello@familycentre.demo.test")
service("family_counselling", "family", "family", "Child and Family Counselling (demo)",
        "Counselling for children, teens and families after trauma or loss.",
        "family,mental_health_crisis", "child_under_12,youth_12_17,mental_health", "en",
        [(WEEKDAYS, "09:00", "17:00"), ("WE", "17:00", "20:00")], "42", 1, "", 200,
        intake_phone="902-555-0141")
service("family_playgroup", "family", "family", "Drop-in Playgroup (demo)",
        "Playgroups for babies and toddlers with their caregivers.", "family",
        "child_under_12", "en,fr", [("MO,WE", "09:30", "11:30")], "43", 0, "", 70)
service("legal_advice", "legal", "legal", "Free Legal Advice Clinic (demo)",
        "Summary legal advice on housing, employment, benefits and family matters.",
        "legal,income", "", "en,fr", [("MO,WE", "10:00", "16:00")], "50", 1, "", 33,
        intake_phone="902-555-0150",
        intake_instructions="Book by phone; emergency eviction matters seen the same day.")
service("legal_tenant", "legal", "legal", "Tenant Rights Line (demo)",
        "Advice for tenants facing eviction, repairs or rent increases.",
        "legal,housing_shelter", "", "en", OFFICE, "51", 1, "", 28,
        intake_phone="902-555-0151", keywords="eviction, landlord, expulsion, locataire")
service("legal_duty", "legal", "legal", "Criminal Duty Counsel Help Desk (demo)",
        "Information for people with a first court date; referral to legal aid lawyers.",
        "legal", "chronically_involved", "en,fr", [(WEEKDAYS, "08:30", "12:30")], "52", 0,
        "HRP", 120)
service("legal_id", "legal", "legal", "ID Replacement Help (demo)",
        "Help replacing lost or stolen identification: birth certificate, health card.",
        "legal,income", "unsheltered", "en", [("TH", "13:00", "16:00")], "53", 0, "", 300)
service("health_walkin", "health", "health", "Walk-in Community Clinic (demo)",
        "Walk-in primary care for people without a family doctor.", "health", "unsheltered",
        "en,fr", [(WEEKDAYS, "08:00", "20:00"), ("SA", "10:00", "14:00")], "60", 0, "", 14)
service("health_harm", "health", "health", "Harm Reduction Supplies (demo)",
        "Naloxone kits and training, sterile supplies, drug checking information.",
        "health,substance_use", "substance_use,unsheltered", "en",
        [(WEEKDAYS, "10:00", "18:00")], "61", 0, "HRP", 22,
        keywords="naloxone, narcan, harm reduction, réduction des méfaits")
service("health_nurse", "health", "health", "Outreach Nursing (demo)",
        "Nurses visit shelters and encampments for wound care, vaccines and assessments.",
        "health,housing_shelter", "unsheltered", "en", [(WEEKDAYS, "09:00", "17:00")], "62",
        1, "HRP,RCMP", 9, intake_phone="902-555-0162",
        intake_instructions="Call with the location and the person's consent.")
service("health_mental", "health", "health", "Community Mental Health Intake (demo)",
        "Single intake for adult community mental-health programs.",
        "mental_health_crisis,health", "mental_health", "en,fr", OFFICE, "63", 1, "", 100,
        intake_phone="902-555-0163")
service("health_dental", "health", "health", "Low-cost Dental Day (demo)",
        "Monthly dental clinic for adults with low incomes.", "health,income", "", "en",
        [("SA", "09:00", "15:00")], "64", 0, "", 365)
service("veterans_peer", "veterans", "veterans", "Veterans Peer Support (demo)",
        "Veteran-to-veteran support groups and one-on-one peer mentoring.",
        "veterans,mental_health_crisis", "veteran,mental_health", "en,fr",
        [("TU,TH", "18:00", "21:00")], "70", 1, "HRP,RCMP", 26,
        intake_phone="902-555-0170", intake_email="contact@veterans.demo.test",
        keywords="veteran, PTSD, military, anciens combattants")
service("veterans_housing", "veterans", "veterans", "Veterans Housing Navigation (demo)",
        "Help for homeless or at-risk veterans to find and keep housing.",
        "veterans,housing_shelter", "veteran,unsheltered", "en", OFFICE, "71", 1, "RCMP",
        52, intake_phone="902-555-0170")
service("veterans_benefits", "veterans", "veterans", "Veterans Benefits Clinic (demo)",
        "Help applying for disability benefits and appealing decisions.",
        "veterans,income", "veteran", "en,fr", [("WE", "09:00", "16:00")], "72", 0, "", 88)
service("recovery_withdrawal", "recovery", "recovery", "Withdrawal Management Unit (demo)",
        "Medically supervised withdrawal from alcohol and drugs; admissions 24/7 when beds "
        "are free.", "substance_use,health", "substance_use", "en,fr", H247, "80", 1,
        "HRP,RCMP", 6, intake_phone="902-555-0180",
        intake_instructions="Call for bed availability; the person must consent to admission.",
        keywords="detox, withdrawal, sevrage, alcohol")
service("recovery_opioid", "recovery", "recovery", "Opioid Treatment Program (demo)",
        "Rapid-access opioid agonist treatment (methadone, buprenorphine).",
        "substance_use,health", "substance_use", "en", [(WEEKDAYS, "08:00", "16:00")], "81",
        1, "HRP", 19, intake_phone="902-555-0181")
service("recovery_counselling", "recovery", "recovery", "Addiction Counselling (demo)",
        "Individual and group counselling for substance use and gambling.",
        "substance_use,mental_health_crisis", "substance_use,mental_health", "en",
        [(WEEKDAYS, "09:00", "12:00"), (WEEKDAYS, "13:00", "19:00")], "82", 1, "", 64,
        intake_phone="902-555-0181")
service("recovery_family", "recovery", "recovery", "Families Affected by Addiction (demo)",
        "Support group for family members of people who use substances.",
        "substance_use,family", "substance_use", "en", [("MO", "18:30", "20:30")], "83", 0,
        "", 230)
service("housing_first", "housing", "housing", "Housing First Team (demo)",
        "Intensive case management to move chronically homeless people into housing.",
        "housing_shelter,mental_health_crisis", "unsheltered,chronically_involved,mental_health",
        "en", OFFICE, "90", 1, "HRP,RCMP", 11, intake_phone="902-555-0190",
        intake_email="help@housing.demo.test",
        intake_instructions="Referrals through the coordinated access list; officers may "
                            "refer people they meet often.")
service("housing_eviction", "housing", "housing", "Eviction Prevention (demo)",
        "Mediation with landlords and emergency funds to keep people housed.",
        "housing_shelter,income,legal", "", "en,fr", OFFICE, "91", 1, "", 39,
        intake_phone="902-555-0191")
service("housing_rentbank", "housing", "housing", "Rent Bank (demo)",
        "Interest-free loans for rent arrears and damage deposits.",
        "income,housing_shelter", "", "en", [("MO,WE,FR", "10:00", "15:00")], "92", 0, "", 150)
service("housing_shelter_adult", "housing", "housing", "Overnight Shelter for Adults (demo)",
        "Emergency overnight beds for adults, open every night 8 pm to 8 am.",
        "housing_shelter", "unsheltered,substance_use", "en,fr", [(ALL, "20:00", "08:00")],
        "93", 1, "HRP,RCMP", 3, intake_phone="902-555-0193",
        intake_instructions="Call for beds after 6 pm; police may bring people directly.",
        keywords="shelter, bed, refuge, overnight, hébergement d'urgence")
service("friendship_cultural", "friendship", "friendship",
        "Culture-based Wellness Program (demo)",
        "Elders, ceremonies and land-based programs supporting healing and wellness.",
        "mental_health_crisis,health", "mental_health", "en,mic",
        [(WEEKDAYS, "09:00", "16:30")], "95", 1, "RCMP", 47, intake_phone="902-555-0195")
service("friendship_youth", "friendship", "friendship", "Indigenous Youth Circle (demo)",
        "After-school program and mentoring for Indigenous youth.", "youth",
        "youth_12_17", "en,mic", [("TU,TH", "15:30", "19:00")], "96", 0, "RCMP", 58)
service("friendship_court", "friendship", "friendship", "Indigenous Court Worker (demo)",
        "Support for Indigenous people involved with the courts.", "legal",
        "chronically_involved", "en,mic", OFFICE, "97", 1, "RCMP", 190,
        intake_phone="902-555-0197")
service("transition_line", "transition", "transition", "Safe Harbour Support Line (demo)",
        "24-hour line for women experiencing violence: safety planning and shelter beds.",
        "housing_shelter,family,mental_health_crisis", "", "en,fr,es,ar", H247, "86", 1,
        "HRP,RCMP", 4, intake_phone="902-555-0186",
        intake_instructions="Call the line; the shelter address is never given out.",
        keywords="violence, domestic, femmes, shelter, transition house")
service("transition_outreach", "transition", "transition",
        "Family Violence Outreach (demo)",
        "Outreach workers support women in the community and at court.",
        "family,legal", "", "en,fr", OFFICE, "87", 1, "HRP", 44,
        intake_phone="902-555-0186")
service("transition_children", "transition", "transition", "Children Who Witness Violence (demo)",
        "Counselling groups for children exposed to family violence.",
        "family,youth,mental_health_crisis", "child_under_12,youth_12_17", "en",
        [("WE", "15:30", "17:30")], "88", 0, "", 99)
service("newcomers_settlement", "newcomers", "newcomers", "Settlement Support (demo)",
        "Help for newcomers with housing, school registration and government programs.",
        "income,family", "", "en,fr,ar,es,fa,uk", OFFICE, "75", 1, "", 37,
        intake_phone="902-555-0175", intake_email="bonjour@newcomers.demo.test")
service("newcomers_interpretation", "newcomers", "newcomers",
        "Community Interpretation (demo)",
        "Volunteer interpreters for appointments, by phone or in person.",
        "legal,health", "", "en,fr,ar,es,fa,uk,zh,so", [(WEEKDAYS, "08:00", "18:00")], "76",
        0, "HRP", 66, keywords="interpreter, translation, interprète")
service("newcomers_youth", "newcomers", "newcomers", "Newcomer Youth Club (demo)",
        "Homework help, sports and friendship for newcomer youth 12-17.", "youth",
        "youth_12_17", "en,fr,ar", [("FR", "16:00", "20:00")], "77", 0, "", 181)
service("income_assist", "income", "income", "Income Assistance Navigation (demo)",
        "Help applying for income assistance and emergency funds, same-day appointments.",
        "income", "unsheltered", "en,fr", OFFICE, "65", 1, "", 23,
        intake_phone="902-555-0165")
service("income_tax", "income", "income", "Free Tax Clinic (demo)",
        "Volunteers file simple tax returns so people get their benefits.",
        "income", "senior_65_plus", "en,fr", [("MO,TU,WE", "10:00", "14:00")], "66", 0, "",
        210)
service("income_disability", "income", "income", "Disability Benefits Help (demo)",
        "Help with disability benefit applications and appeals.", "income,legal",
        "mental_health", "en", [("TH", "09:00", "16:00")], "67", 1, "", 81,
        intake_phone="902-555-0165")
service("income_employment", "income", "income", "Job Start Program (demo)",
        "Job search help, resumes and work clothing for people returning to work.",
        "income", "chronically_involved", "en", [(WEEKDAYS, "09:00", "16:00")], "68", 0, "",
        54)
service("diversion_restorative", "diversion", "diversion", "Restorative Justice for Youth (demo)",
        "Restorative justice conferences as an alternative to charges for youth 12-17.",
        "youth,legal", "youth_12_17,chronically_involved", "en,fr", OFFICE, "55", 1,
        "HRP,RCMP", 13, intake_phone="902-555-0155",
        intake_email="referrals@diversion.demo.test",
        intake_instructions="Police pre-charge referral form; call to discuss eligibility.")
service("diversion_mentoring", "diversion", "diversion", "Youth Mentoring (demo)",
        "One-to-one mentoring for youth at risk of offending.", "youth",
        "youth_12_17,chronically_involved", "en", [("MO,WE", "16:00", "20:00")], "56", 1,
        "HRP", 29, intake_phone="902-555-0155")
service("diversion_parents", "diversion", "diversion", "Parents of Teens Group (demo)",
        "Support group for parents of teens in conflict with the law.", "family,youth",
        "youth_12_17", "en", [("TH", "18:30", "20:30")], "57", 0, "", 140)
service("youth_mental", "youth", "youth_dropin", "Youth Mental Health Walk-in (demo)",
        "Walk-in counselling for youth 12-24, no appointment needed.",
        "mental_health_crisis,youth", "youth_12_17,mental_health", "en,fr",
        [("TU,TH", "14:00", "19:00")], "15", 1, "HRP", 17, intake_phone="902-555-0111")
service("seniors_transport", "seniors", "seniors_hall", "Seniors' Ride Program (demo)",
        "Volunteer drivers take seniors to medical appointments.", "seniors,health",
        "senior_65_plus", "en", [(WEEKDAYS, "08:00", "16:00")], "26", 0, "", 73,
        fees="$5 per round trip")
service("food_baby", "food", "food_main", "Baby Pantry (demo)",
        "Diapers, formula and baby food for families with infants.",
        "food_basic_needs,family", "child_under_12", "en,fr", [("SA", "09:00", "12:00")],
        "33", 0, "", 41)
service("veterans_family", "veterans", "veterans", "Military Family Support (demo)",
        "Support for families of serving members and veterans.", "veterans,family",
        "veteran", "en,fr", [("MO", "09:00", "12:00"), ("MO", "13:00", "16:00")], "73", 0, "",
        67)

LANGUAGE_NAMES = {"en": "English", "fr": "French", "ar": "Arabic", "es": "Spanish",
                  "fa": "Farsi", "uk": "Ukrainian", "zh": "Chinese", "so": "Somali",
                  "mic": "Mi'kmaq"}


def build() -> dict:
    rows = {name: [] for name in ("organizations", "services", "locations",
                                  "service_at_location", "addresses", "phones", "schedules",
                                  "languages", "taxonomies", "taxonomy_terms", "attributes")}
    for key, (oid, name, desc, email) in ORGS.items():
        rows["organizations"].append({"id": oid, "name": name, "description": desc,
                                      "email": email, "website": f"https://{key}.demo.test"})
    for key, (org, name, address, city, postal, lat, lon, confidential) in LOCATIONS.items():
        lid = uid("location", key)
        rows["locations"].append({"id": lid, "location_type": "physical",
                                  "organization_id": ORGS[org][0], "name": name,
                                  "latitude": lat, "longitude": lon,
                                  "confidential": confidential})
        rows["addresses"].append({"id": uid("address", key), "location_id": lid,
                                  "address_1": address, "city": city,
                                  "state_province": "NS", "postal_code": postal,
                                  "country": "CA", "address_type": "physical"})
    taxonomy, terms = hsds.category_taxonomy_rows()
    rows["taxonomies"].append({k: taxonomy[k] for k in ("id", "name", "description", "version")})
    for term in terms:
        rows["taxonomy_terms"].append({k: term[k] for k in (
            "id", "code", "name", "description", "taxonomy", "language", "taxonomy_id")})
    term_of = {t["code"]: t["id"] for t in terms}
    for (key, org, loc, name, desc, cats, pops, langs, hours, phone, ref, partners, days,
         extra) in S:
        sid = uid("service", key)
        verified = (REFERENCE_DATE - timedelta(days=days)).isoformat()
        rows["services"].append({
            "id": sid, "organization_id": ORGS[org][0], "name": name, "description": desc,
            "status": "active", "email": extra.pop("email", None),
            "eligibility_description": extra.pop("eligibility_description", None),
            "fees_description": extra.pop("fees", None),
            "minimum_age": extra.pop("minimum_age", None),
            "maximum_age": extra.pop("maximum_age", None),
            "application_process": extra.get("intake_instructions"),
            "assured_date": verified, "assurer_email": "coordinator@demo.test",
            "accepts_referrals": ref, "intake_phone": extra.pop("intake_phone", None),
            "intake_email": extra.pop("intake_email", None),
            "intake_instructions": extra.pop("intake_instructions", None),
            "populations": pops, "keywords": extra.pop("keywords", None),
            "partnerships": partners,
        })
        assert not extra, (key, extra)
        lid = uid("location", loc)
        rows["service_at_location"].append({"id": uid("sal", key), "service_id": sid,
                                            "location_id": lid})
        rows["phones"].append({"id": uid("phone", key), "service_id": sid,
                               "number": f"902-555-01{phone}", "type": "voice"})
        for i, (byday, opens, closes) in enumerate(hours):
            rows["schedules"].append({"id": uid("schedule", key, str(i)), "service_id": sid,
                                      "freq": "WEEKLY", "byday": byday, "opens_at": opens,
                                      "closes_at": closes})
        for code in langs.split(","):
            rows["languages"].append({"id": uid("language", key, code), "service_id": sid,
                                      "name": LANGUAGE_NAMES[code], "code": code})
        for code in cats.split(","):
            assert code in categories.BY_CODE, code
            rows["attributes"].append({"id": uid("attribute", key, code), "link_id": sid,
                                       "taxonomy_term_id": term_of[code],
                                       "link_type": "category", "link_entity": "service",
                                       "value": code})
    return rows


def write() -> None:
    rows = build()
    OUT.mkdir(exist_ok=True)
    resources = []
    for name, items in rows.items():
        columns = []
        for item in items:
            columns += [k for k in item if k not in columns]
        with (OUT / f"{name}.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
            writer.writeheader()
            for item in items:
                writer.writerow({k: "" if item.get(k) is None else item[k] for k in columns})
        resources.append({"name": name, "path": f"{name}.csv", "profile": "tabular-data-resource"})
    (OUT / "datapackage.json").write_text(json.dumps({
        "name": "fieldapp-demo-directory", "title": "Fictional demo directory (HSDS 3.1)",
        "profile": "tabular-data-package", "resources": resources}, indent=2) + "\n")
    (OUT / "README.md").write_text(
        "Fictional demo directory (HSDS 3.1 Tabular Data Package) loaded by "
        "fieldapp/directory/demo.py.\nGenerated by `python -m fieldapp.directory.demo_build`; "
        "every name, address, phone and e-mail is invented.\n")
    print(f"{len(S)} services written to {OUT}")


if __name__ == "__main__":
    write()
