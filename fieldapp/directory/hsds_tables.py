"""HSDS 3.1 tables as stored (frozen copy used by the migration; the hsds package builds on it).

(hsds object name, our table, 3.1 CSV file name, HSDS scalar fields in schema order).
Our table names equal the HSDS names except `contact`, stored as `agency_contact` (our `contact`
is the officer's field contact).  Changing this list needs a NEW migration.
"""

HSDS_TABLES = [
    ("organization", "organization", "organizations.csv",
     "id name alternate_name description email website tax_status tax_id year_incorporated "
     "legal_status logo uri parent_organization_id"),
    ("program", "program", "programs.csv", "id organization_id name alternate_name description"),
    ("service", "service", "services.csv",
     "id organization_id program_id name alternate_name description url email status "
     "interpretation_services application_process fees_description wait_time fees accreditations "
     "eligibility_description minimum_age maximum_age assured_date assurer_email licenses alert "
     "last_modified"),
    ("attribute", "attribute", "attributes.csv",
     "id link_id taxonomy_term_id link_type link_entity value label"),
    ("service_at_location", "service_at_location", "service_at_location.csv",
     "id service_id location_id description"),
    ("location", "location", "locations.csv",
     "id location_type url organization_id name alternate_name description transportation "
     "latitude longitude external_identifier external_identifier_type"),
    ("phone", "phone", "phones.csv",
     "id location_id service_id organization_id contact_id service_at_location_id number "
     "extension type description"),
    ("contact", "agency_contact", "contacts.csv",
     "id organization_id service_id service_at_location_id location_id name title department "
     "email"),
    ("address", "address", "addresses.csv",
     "id location_id attention address_1 address_2 city region state_province postal_code "
     "country address_type"),
    ("schedule", "schedule", "schedules.csv",
     "id service_id location_id service_at_location_id valid_from valid_to dtstart timezone until "
     "count wkst freq interval byday byweekno bymonthday byyearday description opens_at closes_at "
     "schedule_link attending_type notes"),
    ("funding", "funding", "funding.csv", "id organization_id service_id source"),
    ("service_area", "service_area", "service_areas.csv",
     "id service_id service_at_location_id name description extent extent_type uri"),
    ("required_document", "required_document", "required_documents.csv",
     "id service_id document uri"),
    ("language", "language", "languages.csv", "id service_id location_id phone_id name code note"),
    ("accessibility", "accessibility", "accessibility.csv",
     "id location_id description details url"),
    ("taxonomy_term", "taxonomy_term", "taxonomy_terms.csv",
     "id code name description parent_id taxonomy language taxonomy_id term_uri"),
    ("metadata", "metadata", "metadata.csv",
     "id resource_id resource_type last_action_date last_action_type field_name previous_value "
     "replacement_value updated_by"),
    ("meta_table_description", "meta_table_description", "meta_table_descriptions.csv",
     "id name language character_set"),
    ("cost_option", "cost_option", "cost_options.csv",
     "id service_id valid_from valid_to option currency amount amount_description"),
    ("organization_identifier", "organization_identifier", "organization_identifiers.csv",
     "id organization_id identifier_scheme identifier_type identifier"),
    ("taxonomy", "taxonomy", "taxonomies.csv", "id name description uri version"),
    ("unit", "unit", "units.csv", "id name scheme identifier uri"),
    ("service_capacity", "service_capacity", "service_capacity.csv",
     "id service_id unit_id available maximum description updated"),
    ("url", "url", "url.csv", "id label url organization_id service_id"),
]

# Columns holding ids of other HSDS rows (-> indexed; no SQL FOREIGN KEY, because real packages,
# the official examples included, carry dangling references that a round trip must keep).
REFERENCE_COLUMNS = {
    "organization_id": "organization", "program_id": "program", "service_id": "service",
    "location_id": "location", "service_at_location_id": "service_at_location",
    "contact_id": "agency_contact", "phone_id": "phone", "taxonomy_term_id": "taxonomy_term",
    "taxonomy_id": "taxonomy", "unit_id": "unit", "parent_organization_id": "organization",
    "parent_id": "taxonomy_term",
}
