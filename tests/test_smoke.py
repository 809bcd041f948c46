def test_healthz_answers_ok_when_database_answers(client):
    response = client.get("/healthz")
    assert 200 == response.status_code
    assert "ok" == response.get_json()["status"]
    assert [] == response.get_json()["reasons"]
