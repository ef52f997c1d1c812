"""What the page tests of every part share: the staff and users' password, and signing in."""

PASSWORD = "correct horse battery"


def log_in(page, app, login):
    page.goto(f"{app}/login/")
    page.fill("#id_username", login)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)
