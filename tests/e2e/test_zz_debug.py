from playwright.sync_api import expect
from .conftest import WIDTHS
from .test_forms_and_flows import tile

TRACE = """
window.__trace = [];
for (const name of ["turbo:submit-start","turbo:submit-end","turbo:frame-render","turbo:frame-load","turbo:before-frame-render","turbo:before-stream-render","focusout","focusin"]) {
  document.addEventListener(name, (e) => window.__trace.push(name + " " + (e.target.id || e.target.tagName) + " active=" + (document.activeElement && (document.activeElement.id || document.activeElement.tagName + ":" + (document.activeElement.textContent||"").trim().slice(0,20)))), true);
}
"""

def test_debug(people, family):
    dad = people(WIDTHS["desktop"]).login(family.emails["dad"])
    dad.context.add_init_script(TRACE)
    page = dad.goto(family.list_of("tom"))
    buy = tile(page, "Rainbow kite").get_by_role("button", name="Mark as purchased")
    buy.focus()
    page.keyboard.press("Enter")
    expect(tile(page, "Rainbow kite").get_by_role("button", name="Undo")).to_be_visible()
    page.wait_for_timeout(3000)
    print("\n".join(page.evaluate("window.__trace")))
    print("ACTIVE", page.evaluate("document.activeElement.outerHTML.slice(0,200)"))
