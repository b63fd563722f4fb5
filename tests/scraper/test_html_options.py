from __future__ import annotations

from piglist.scraper.page import Page
from piglist.scraper.sources import html_options
from piglist.scraper.sources.layout import Layout


def find(body: str) -> dict[str, list[str]]:
    return html_options.find(
        Layout(Page(f"<html><body><h1>Tee</h1>{body}</body></html>", "https://s.example/"), None)
    )


def test_reads_size_and_colour_selects_without_their_prompts() -> None:
    body = """
      <label for="pa_size">Size</label>
      <select id="pa_size" name="attribute_pa_size">
        <option value="">Choose an option</option><option value="s">S</option><option value="m">M</option>
      </select>
      <select name="Farbe"><option>-- bitte wählen --</option><option>Rot</option><option>Blau</option></select>
      <select name="quantity"><option>1</option><option>2</option></select>
    """
    assert find(body) == {"size": ["S", "M"], "colour": ["Rot", "Blau"]}


def test_reads_radio_button_groups_by_their_labels() -> None:
    body = """
      <input type="radio" name="color" id="c1" value="red"><label for="c1">Red</label>
      <input type="radio" name="color" id="c2" value="navy"><label for="c2">Navy blue</label>
      <input type="radio" name="taille" value="38"><input type="radio" name="taille" value="40">
    """
    assert find(body) == {"colour": ["Red", "Navy blue"], "size": ["38", "40"]}


def test_a_page_without_choices_has_no_options() -> None:
    assert find("<p>One size fits all.</p>") == {}
