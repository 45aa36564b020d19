"""Accessibility checks in Chromium on every list page: each field labelled, text
contrast at least WCAG AA (4.5:1) against its actual background, one h1, and a working
skip link."""

from __future__ import annotations

from typing import Any

from tests.cli.serve_process import ServedAPI
from tests.dashboard.support import sign_in_by_keyboard, unlabelled_fields

PAGES = (
    "/dashboard",
    "/dashboard/users",
    "/dashboard/sessions",
    "/dashboard/polls",
    "/dashboard/events",
    "/dashboard/configs",
    "/dashboard/keys",
    "/dashboard/subscriptions",
    "/dashboard/sandbox",
)

# WCAG 2 relative luminance and contrast ratio, computed from the rendered styles.
LOW_CONTRAST = """() => {
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const c = [r, g, b].map(v => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const background = el => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const bad = [];
  for (const el of document.querySelectorAll('body *')) {
    const text = [...el.childNodes].filter(n => n.nodeType === 3)
      .map(n => n.textContent.trim()).join('');
    if (!text || el.offsetParent === null) continue;
    const fg = lum(rgb(getComputedStyle(el).color).slice(0, 3)), bg = lum(background(el));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    if (ratio < 4.5) bad.push(`${el.tagName} "${text.slice(0, 30)}" ${ratio.toFixed(2)}`);
  }
  return bad;
}"""


def test_labels_contrast_headings_and_skip_link(served: ServedAPI, browser: Any) -> None:
    context = browser.new_context()
    page = context.new_page()
    sign_in_by_keyboard(page, served.url, served.token)
    for path in PAGES:
        page.goto(f"{served.url}{path}")
        assert unlabelled_fields(page) == [], path
        assert page.evaluate(LOW_CONTRAST) == [], path
        assert page.locator("h1").count() == 1, path
        assert page.locator("html").get_attribute("lang") == "en"
    # The check itself finds grey-on-white text (so its silence above means something).
    page.evaluate(
        "() => { const p = document.createElement('p'); p.textContent = 'faint';"
        " p.style.color = '#bbbbbb'; document.querySelector('main').append(p); }"
    )
    assert [line.split('"')[1] for line in page.evaluate(LOW_CONTRAST)] == ["faint"]
    # The first Tab reaches the skip link; following it moves focus to the content.
    page.goto(f"{served.url}/dashboard/sessions")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    context.close()
