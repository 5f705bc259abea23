"""End-to-end tests: a user drives the example blog in headless Chromium, over WSGI and ASGI."""

from __future__ import annotations

import re
import typing as t

import pytest

if t.TYPE_CHECKING:
    from playwright.sync_api import Dialog
    from playwright.sync_api import Page

PASSWORD = "correct horse battery"
SCRIPT_BODY = "<script>alert(1)</script><b>x</b>"

pytestmark = [pytest.mark.browser, pytest.mark.server]


def _submit_form(page: Page, fields: dict[str, str], button: str) -> None:
    form = page.locator("main form.form")
    for name, value in fields.items():
        form.locator(f"[name={name}]").fill(value)
    form.get_by_role("button", name=button).click()


def _register(page: Page, base_url: str, username: str) -> None:
    page.goto(base_url + "/")
    page.locator(".site-header").get_by_role("link", name="Register").click()
    _submit_form(page, {"username": username, "password": PASSWORD}, "Register")
    page.wait_for_url(base_url + "/auth/login")
    assert "Registration complete. Please log in." in page.locator(".flashes").inner_text()


def _log_in(page: Page, base_url: str, username: str) -> None:
    page.locator(".site-header").get_by_role("link", name="Log in").click()
    _submit_form(page, {"username": username, "password": PASSWORD}, "Log in")
    page.wait_for_url(base_url + "/")
    assert f"Signed in as {username}" in page.locator(".nav-links").inner_text()


def _log_out(page: Page, base_url: str) -> None:
    page.locator(".site-header").get_by_role("button", name="Log out").click()
    page.wait_for_url(base_url + "/")
    assert "You have been logged out." in page.locator(".flashes").inner_text()
    assert page.locator(".site-header").get_by_role("link", name="Log in").is_visible()


def test_blog_user_journey_escapes_html_and_protects_other_users_posts(
    browser_page: Page, blog_server: str
) -> None:
    page, base_url = browser_page, blog_server
    dialogs: list[str] = []

    def record_dialog(dialog: Dialog) -> None:
        # Any alert/confirm/prompt here would mean the post body's script ran.
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record_dialog)

    _register(page, base_url, "alice")
    _log_in(page, base_url, "alice")

    page.locator(".site-header").get_by_role("link", name="New post").click()
    _submit_form(page, {"title": "Hello <i>world</i>", "body": SCRIPT_BODY}, "Publish")
    page.wait_for_url(base_url + "/")
    post = page.locator("article.post").first
    assert post.locator(".body").inner_text() == SCRIPT_BODY
    assert post.locator(".post-title").inner_text() == "Hello <i>world</i>"
    assert post.locator(".body script, .body b, .post-title i").count() == 0
    assert page.evaluate("document.querySelectorAll('main script').length") == 0

    post.get_by_role("link", name="Edit").click()
    edit_path = re.sub(r"^https?://[^/]+", "", page.url)
    assert re.fullmatch(r"/\d+/update", edit_path)
    _submit_form(page, {"title": "Edited title", "body": SCRIPT_BODY + "\nmore"}, "Save")
    page.wait_for_url(base_url + "/")
    assert "Post updated." in page.locator(".flashes").inner_text()
    post = page.locator("article.post").first
    assert post.locator(".post-title").inner_text() == "Edited title"
    assert post.locator(".body").inner_text() == SCRIPT_BODY + "\nmore"

    _log_out(page, base_url)
    _register(page, base_url, "bob")
    _log_in(page, base_url, "bob")
    assert page.locator("article.post").first.get_by_role("link", name="Edit").count() == 0

    response = page.goto(base_url + edit_path)
    assert response is not None
    assert response.status == 403
    assert "You can only change your own posts." in page.locator("main").inner_text()

    page.goto(base_url + "/")
    assert page.locator("article.post .post-title").first.inner_text() == "Edited title"
    _log_out(page, base_url)
    assert dialogs == []


def test_json_api_lists_posts_in_the_browser(browser_page: Page, blog_server: str) -> None:
    page, base_url = browser_page, blog_server
    response = page.goto(base_url + "/api/posts")
    assert response is not None
    assert response.status == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"posts": []}
