"""Draws the installable app's icons (static/img/icon-*.png) from the logo, static/img/piglist.svg,
with the Chromium the browser tests use: Pillow reads no SVG, and a rasteriser library for one run
of three files would be a dependency for nothing. Run it again after changing the logo:
``.venv/bin/python scripts/make_icons.py``.

The maskable icon keeps the logo inside the middle 80 % (the safe zone a phone's mask never cuts)
on a full-bleed cream background."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
LOGO = (ROOT / "static" / "img" / "piglist.svg").read_text()
CHROMIUM = "/usr/bin/chromium-headless-shell"
CREAM = "#fffaf5"

ICONS = {
    # name: (size, logo's share of the side, background)
    "icon-192.png": (192, 1.0, "transparent"),
    "icon-512.png": (512, 1.0, "transparent"),
    "icon-maskable-512.png": (512, 0.72, CREAM),
    "apple-touch-icon.png": (180, 0.86, CREAM),
}


def page_for(size: int, share: float, background: str) -> str:
    logo = int(size * share)
    return (
        f"<html><body style='margin:0;width:{size}px;height:{size}px;background:{background};"
        f"display:flex;align-items:center;justify-content:center'>"
        f"<div style='width:{logo}px;height:{logo}px'>{LOGO.replace('<svg ', '<svg width=100% height=100% ')}</div>"
        "</body></html>"
    )


def main() -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        for name, (size, share, background) in ICONS.items():
            page = browser.new_page(viewport={"width": size, "height": size})
            page.set_content(page_for(size, share, background))
            page.screenshot(
                path=str(ROOT / "static" / "img" / name), omit_background=background == "transparent"
            )
            page.close()
            print(f"static/img/{name}: {size}x{size}")
        browser.close()


if __name__ == "__main__":
    main()
