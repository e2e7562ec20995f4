from django.urls import reverse


def test_login_page_renders_in_chinese_by_default(client, db):
    """The login page answers 200 and speaks zh-hans unless the user switches."""
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert "登录" in response.content.decode() or "Log in" in response.content.decode()


def test_anonymous_home_redirects_to_login(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
