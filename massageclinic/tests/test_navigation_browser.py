"""The main navigation fits on one line for the manager, who has the most links
(issue 13), and its Manage menu works from the keyboard."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from massageclinic.tests.signing_in import sign_in_through_the_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]


@pytest.mark.parametrize("width,height", [(1440, 900), (1280, 800)])
def test_the_managers_navigation_is_one_line(page, screenshot, manager, width, height):
    manager.first_name, manager.last_name = "Maria-Antonia", "Montgomery-Blackburn"
    manager.save()
    page.set_viewport_size({"width": width, "height": height})
    sign_in_through_the_page(page, "manager")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Today")).to_be_visible()
    brand = nav.get_by_role("link", name="Clinic", exact=True).bounding_box()
    box = nav.bounding_box()
    links = nav.locator(".navbar-nav > .nav-item")
    tops = {round(links.nth(i).bounding_box()["y"]) for i in range(links.count())}
    screenshot(f"nav-manager-{width}")
    assert len(tops) == 1, f"the links sit on {len(tops)} lines at {width} px"
    # One line: the bar is no taller than its brand plus its own padding.
    assert box["height"] <= brand["height"] + 20, box
    logout = nav.get_by_role("button", name="Log out").bounding_box()
    assert abs(logout["y"] - brand["y"]) < brand["height"]
    # ... and not by running off the right edge.
    assert logout["x"] + logout["width"] <= width
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_the_manage_menu_opens_and_is_used_with_the_keyboard(page, screenshot, manager):
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in_through_the_page(page, "manager")
    nav = page.get_by_role("navigation", name="Main")
    manage = nav.get_by_role("button", name="Manage")
    manage.focus()
    page.keyboard.press("Enter")
    expect(manage).to_have_attribute("aria-expanded", "true")
    outbox = nav.get_by_role("link", name="Outbox", exact=True)
    staff = nav.get_by_role("link", name="Staff", exact=True)
    expect(staff).to_be_visible()
    screenshot("nav-manage-open")
    page.keyboard.press("ArrowDown")
    expect(outbox).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(staff).to_be_focused()
    page.keyboard.press("Escape")
    expect(manage).to_have_attribute("aria-expanded", "false")
    expect(manage).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Outbox")).to_be_visible()
    # On the outbox the menu that holds it is marked as where the manager is.
    expect(nav.get_by_role("button", name="Manage")).to_have_class(re.compile("active"))


@pytest.mark.parametrize("persona", ["frontdesk", "therapist"])
def test_the_desks_and_a_therapists_navigation_is_one_line_too(
    page, screenshot, front_desk, therapist, persona
):
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in_through_the_page(page, persona)
    nav = page.get_by_role("navigation", name="Main")
    schedules = "Schedules" if persona == "frontdesk" else "My schedule"
    expect(nav.get_by_role("link", name=schedules, exact=True)).to_be_visible()
    links = nav.locator(".navbar-nav > .nav-item")
    tops = {round(links.nth(i).bounding_box()["y"]) for i in range(links.count())}
    screenshot(f"nav-{persona}-1280")
    assert len(tops) == 1, f"the links sit on {len(tops)} lines"
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
