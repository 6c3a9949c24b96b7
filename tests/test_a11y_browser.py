"""Accessibility in the real browser: Debian's Chromium through Playwright, against the real server (eventlet,
SQLite) in a subprocess, with axe-core from the npm registry (node_modules/axe-core, installed by `npm ci`).

- A workshop is played in Dutch and in English through every state a phone and the big screen can show, and axe-core
  checks each state against WCAG 2.0/2.1 A and AA; the console and the start page are checked the same way. The big
  screen is also held to the enhanced contrast ratio (7:1, WCAG AAA): it is projected, and projectors wash colours
  out. Text in the other language than the page's carries its own lang attribute.
- The big screen at 1920x1080 is readable from the back of a room: the computed font sizes of the card, the
  countdown, the room code, the counts and the leaderboard are checked, and screenshots are saved in test-artifacts/.
- A participant plays with the keyboard alone (code, name, team, pick, why, lock in, commitment), and the facilitator
  runs a round from the console by keyboard (deal, timer, lock, reveal, score, publish); focus is always visible and
  stays on the equivalent element when a live update redraws the view.

axe-core is injected with page.evaluate: it goes through the DevTools protocol, which the pages' strict CSP
(script-src 'self') does not block, whereas an injected <script> tag would be.
"""

from __future__ import annotations

import re

import pytest

from .conftest import ARTIFACTS, REPO, signed_in_context
from .test_browser import phase, watch

pytestmark = [pytest.mark.browser, pytest.mark.server]

AXE_JS = REPO / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# axe's best practices for structure, on top of WCAG's tags: landmarks, one h1, headings in order
STRUCTURE_RULES = [
    "heading-order", "page-has-heading-one", "region", "landmark-one-main", "landmark-unique",
    "landmark-no-duplicate-banner", "landmark-no-duplicate-main", "landmark-banner-is-top-level",
    "landmark-main-is-top-level", "landmark-complementary-is-top-level",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
LAPTOP = {"viewport": {"width": 1280, "height": 900}}
PROJECTOR = {"viewport": {"width": 1920, "height": 1080}}


def axe_source() -> str:
    """axe-core's script, installed from the npm registry by `npm ci` (./aandacht.sh test does it)."""
    assert AXE_JS.is_file(), f"{AXE_JS} is missing: run `npm ci` (./aandacht.sh test runs it at set-up)"
    return AXE_JS.read_text(encoding="utf-8")


class Audit:
    """Runs axe-core on pages and collects every violation as readable lines, per state."""

    def __init__(self):
        self.source = axe_source()
        self.problems: list[str] = []
        self.checked: list[str] = []
        self.review: dict[str, list[str]] = {}  # what axe could not decide by itself ("incomplete"), per state

    def __call__(self, page, where: str, *, projector: bool = False) -> dict:
        """Check the page as it is now; `projector` also applies the enhanced (7:1) contrast rule."""
        settle(page)
        if not page.evaluate("typeof window.axe === 'object' && typeof window.axe.run === 'function'"):
            page.evaluate(self.source)
        rules = STRUCTURE_RULES + (["color-contrast-enhanced"] if projector else [])
        options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "rules": {r: {"enabled": True} for r in rules}}
        result = page.evaluate(
            """(options) => axe.run(document, options).then((r) => ({
                passes: r.passes.length,
                ran: r.passes.concat(r.violations, r.incomplete, r.inapplicable).map((x) => x.id),
                incomplete: r.incomplete.map((v) => v.id + ': ' + v.nodes.map((n) => n.target.join(' ')).join(', ')),
                violations: r.violations.map((v) => ({
                    id: v.id, impact: v.impact, help: v.help, url: v.helpUrl,
                    nodes: v.nodes.map((n) => ({target: n.target.join(' '), summary: n.failureSummary})),
                })),
            }))""",
            options,
        )
        assert result["passes"] > 0, f"axe-core did not run on {where}"
        assert "color-contrast" in result["ran"] and "label" in result["ran"], f"axe-core ran too few rules on {where}"
        assert set(rules) <= set(result["ran"]), f"axe-core did not run {set(rules) - set(result['ran'])} on {where}"
        self.checked.append(where)
        if page.viewport_size["width"] < 600:  # a phone: every control is a comfortable target for a thumb
            small = page.evaluate(SMALL_TARGETS, MIN_TARGET)
            self.expect(not small, f"[{where}] tap targets smaller than {MIN_TARGET}x{MIN_TARGET} px: {small}")
        if result["incomplete"]:
            self.review[where] = result["incomplete"]
        for v in result["violations"]:
            lines = [f"[{where}] {v['id']} ({v['impact']}): {v['help']} <{v['url']}>"]
            for node in v["nodes"][:8]:
                summary = " ".join((node["summary"] or "").split())
                lines.append(f"      {node['target']} -- {summary[:300]}")
            if len(v["nodes"]) > 8:
                lines.append(f"      ... and {len(v['nodes']) - 8} more")
            self.problems.append("\n".join(lines))
        return result

    def expect(self, ok: bool, problem: str):
        """Note a problem found outside axe (font sizes, languages) without stopping the walk through the states."""
        if not ok:
            self.problems.append(problem)

    def assert_clean(self, name: str):
        """Save what axe left for a human to review; fail with every violation found, state by state."""
        import json

        (ARTIFACTS / f"a11y-{name}-needs-review.json").write_text(json.dumps(self.review, indent=1), encoding="utf-8")
        if self.problems:
            pytest.fail(f"{len(self.problems)} accessibility violation(s):\n" + "\n".join(self.problems), pytrace=False)


MIN_TARGET = 44  # CSS px: WCAG 2.5.5's size, above 2.1 AA (none) and 2.2 AA (24 px)
SMALL_TARGETS = """(least) => Array.from(document.querySelectorAll(
        'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]'))
    .filter((e) => !e.closest('[hidden]') && getComputedStyle(e).visibility !== 'hidden')
    .map((e) => [e, e.getBoundingClientRect()])
    .filter(([e, r]) => r.width > 0 && r.height > 0 && r.bottom > 0 && (r.width < least || r.height < least))
    .map(([e, r]) => (e.id ? '#' + e.id : e.tagName.toLowerCase() + '.' + Array.from(e.classList).join('.'))
        + ' ' + Math.round(r.width) + 'x' + Math.round(r.height))"""


def settle(page):
    """Wait until the animations that end have ended (the infinite pulse of a waiting dot never does)."""
    page.evaluate(
        """() => Promise.all(document.getAnimations()
            .filter((a) => a.effect && a.effect.getComputedTiming().iterations !== Infinity)
            .map((a) => a.finished.catch(() => null)))"""
    )


def create_workshop(console, base: str, title: str, language: str, timer: int, cards: int = 2) -> str:
    """Create a workshop of the first `cards` cards of the core deck; return the room code."""
    console.goto(base + "/")
    console.fill("#title", title)
    console.select_option("#deck_id", "aandacht-basis")
    console.select_option("#language", language)
    console.fill("#timer_seconds", str(timer))
    boxes = console.locator("#deck-aandacht-basis input[name=card]")
    for i in range(boxes.count()):
        boxes.nth(i).set_checked(i < cards)
    console.click("#create-btn")
    console.wait_for_url(re.compile(r"/f/"))
    phase(console, "lobby")
    return console.inner_text("#room-code").strip()


def font_px(page, selector: str) -> float:
    """The computed font size of the first element matching `selector`, in CSS pixels."""
    return page.eval_on_selector(selector, "(e) => parseFloat(getComputedStyle(e).fontSize)")


def lang_of(page, selector: str) -> str:
    """The language an element's text is in: its nearest lang attribute."""
    return page.eval_on_selector(selector, "(e) => e.closest('[lang]').getAttribute('lang')")


# ---- every state in both languages ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_state_meets_wcag_aa(live_server, browser, language):
    ARTIFACTS.mkdir(exist_ok=True)
    base, errors = live_server.url, []
    audit = Audit()
    other = "en" if language == "nl" else "nl"

    # the facilitator's start page and console (laptop)
    console_context = signed_in_context(browser, base, **LAPTOP)
    console = watch(console_context.new_page(), errors, "console", confirm="End the workshop")
    console.goto(base + "/")
    audit(console, f"{language} home")
    audit.expect(console.get_attribute("html", "lang") == "en", "home: the page is in English")
    audit.expect(lang_of(console, ".brand") == "nl", "home: the brand name is Dutch (lang=nl)")
    code = create_workshop(console, base, f"A11y {language}", language, timer=300)
    audit(console, f"{language} console: lobby")

    # the big screen (projector)
    screen = watch(browser.new_context(**PROJECTOR).new_page(), errors, "screen")
    screen.goto(base + console.get_attribute("#open-screen", "href"))
    phase(screen, "lobby")
    assert screen.get_attribute("html", "lang") == language
    audit(screen, f"{language} screen: empty lobby with QR and code", projector=True)

    # phones: a wrong code first, then the code, the name, the team
    anna = watch(browser.new_context(**PHONE).new_page(), errors, "anna")
    anna.goto(f"{base}/play")
    audit(anna, f"{language} phone: code entry")
    anna.goto(f"{base}/j/ZZZZZZ")
    anna.wait_for_selector("#code-error")
    errors[:] = [e for e in errors if "status of 404" not in e]  # the unknown room code's page is a 404, on purpose
    audit(anna, f"{language} phone: code entry with an error")
    anna.fill("#code-input", code)
    anna.click("#code-btn")
    anna.wait_for_selector("#name-input")
    phase(anna, "lobby")
    assert anna.get_attribute("html", "lang") == language
    audit(anna, f"{language} phone: name")
    anna.fill("#name-input", "Anna")
    anna.click("#join-btn")
    anna.wait_for_selector("#team-options .empty")
    audit(anna, f"{language} phone: team choice, no teams yet")
    anna.fill("#new-team-name", "Harbour")
    anna.click("#create-team-btn")
    anna.wait_for_selector("#team-lobby")
    audit(anna, f"{language} phone: lobby, first in the team")

    bram = watch(browser.new_context(**PHONE).new_page(), errors, "bram")
    bram.goto(f"{base}/j/{code}")
    bram.fill("#name-input", "Bram")
    bram.click("#join-btn")
    bram.wait_for_selector(".team-option")
    audit(bram, f"{language} phone: team choice")
    bram.click(".team-option >> text=Harbour")
    bram.wait_for_selector("#team-lobby")
    audit(bram, f"{language} phone: lobby with team-mates")

    cleo = watch(browser.new_context(**PHONE).new_page(), errors, "cleo")
    cleo.goto(f"{base}/j/{code}")
    cleo.fill("#name-input", "Cleo")
    cleo.click("#join-btn")
    cleo.fill("#new-team-name", "Lighthouse")
    cleo.click("#create-team-btn")
    cleo.wait_for_selector("#team-lobby")

    screen.wait_for_selector(".lobby-team >> text=Lighthouse")
    audit(screen, f"{language} screen: lobby with teams", projector=True)
    for selector, least in (("#room-code", 140), (".players-total .big-number", 64), (".lobby-team-name", 30)):
        size = font_px(screen, selector)
        audit.expect(size >= least, f"screen lobby: {selector} is {size}px at 1920x1080, less than {least}px")
    screen.screenshot(path=str(ARTIFACTS / f"a11y-screen-{language}-lobby.png"))
    console.wait_for_selector("#teams-list .team-card-name >> text=Lighthouse")
    audit(console, f"{language} console: lobby with teams")

    # a card: responses, team-mates' picks, the why, the countdown
    console.click("#deal-btn")
    for page in (console, screen, anna, bram, cleo):
        phase(page, "collecting")
    anna.wait_for_selector("#why-input")
    audit(anna, f"{language} phone: card with responses (captain)")
    audit(bram, f"{language} phone: card with responses (team-mate)")
    anna.locator(".response-btn").nth(0).click()
    bram.locator(".response-btn").nth(1).click()
    anna.wait_for_selector(".response-btn .pickers:not([hidden]) >> text=Bram")
    bram.wait_for_selector(".response-btn .pickers:not([hidden]) >> text=Anna")
    audit(anna, f"{language} phone: team-mates' picks (captain)")
    anna.screenshot(path=str(ARTIFACTS / f"a11y-phone-{language}-picks.png"), full_page=True)
    audit(bram, f"{language} phone: team-mates' picks (team-mate)")
    timer = (anna.get_attribute("#countdown", "role"), anna.get_attribute("#countdown", "aria-live"))
    audit.expect(timer == ("timer", "off"), "phone: the countdown must be a timer that is not read out every second")
    live = anna.get_attribute("#time-announcer", "aria-live")
    audit.expect(live == "polite", "phone: no polite live region for the time left")
    screen.wait_for_selector("#countdown-box:not([hidden])")
    audit(screen, f"{language} screen: card with countdown", projector=True)
    audit(console, f"{language} console: collecting")
    for selector in ("#card-panel .card-title > span", "#card-panel .situation", ".key-text", "#next-card strong"):
        audit.expect(lang_of(console, selector) == language, f"console: {selector} is not marked lang={language}")

    # the back of the room: the card, the countdown and the counts are large on a 1920x1080 projector
    sizes = {
        "card title": font_px(screen, "#card-title"),
        "situation": font_px(screen, ".round-card .situation"),
        "question": font_px(screen, ".round-card .question"),
        "responses": font_px(screen, ".screen-responses li"),
        "countdown": font_px(screen, "#countdown"),
        "locked count": font_px(screen, "#locked-count"),
        "team chips": font_px(screen, ".team-chip .chip-name"),
    }
    minimum = {"card title": 48, "situation": 32, "question": 36, "responses": 32, "countdown": 120,
               "locked count": 32, "team chips": 30}
    small = {k: v for k, v in sizes.items() if v < minimum[k]}
    audit.expect(not small, f"screen card: too small for the back of the room at 1920x1080: {small} (min {minimum})")
    fits = screen.evaluate("document.scrollingElement.scrollHeight <= innerHeight")
    audit.expect(fits, "screen card: the card runs off the bottom of a 1920x1080 projector")
    audit.expect(screen.get_attribute(".round-card", "data-fit") == "0", "screen card: the first card had to shrink")
    screen.screenshot(path=str(ARTIFACTS / f"a11y-screen-{language}-card.png"))
    # a smaller projector: the card steps its type down to fit rather than run off the bottom
    screen.set_viewport_size({"width": 1280, "height": 720})
    screen.wait_for_function("() => document.scrollingElement.scrollHeight <= innerHeight", timeout=5_000)
    screen.screenshot(path=str(ARTIFACTS / f"a11y-screen-{language}-card-1280x720.png"))
    screen.set_viewport_size(PROJECTOR["viewport"])
    screen.wait_for_function("() => document.querySelector('.round-card').dataset.fit === '0'", timeout=5_000)

    # locked in: one team, then every team
    anna.fill("#why-input", "De gast eerst" if language == "nl" else "Guest first")
    anna.click("#lock-btn")
    anna.wait_for_selector("#locked-in")
    bram.wait_for_selector("#locked-in")
    audit(anna, f"{language} phone: locked in (captain)")
    audit(bram, f"{language} phone: locked in (team-mate)")
    screen.wait_for_selector(".team-chip.locked")
    audit(screen, f"{language} screen: one team locked in", projector=True)
    cleo.locator(".response-btn").last.click()
    cleo.wait_for_selector("#lock-btn:not([disabled])")
    cleo.click("#lock-btn")
    for page in (console, screen, anna, bram, cleo):
        phase(page, "locked")
    audit(anna, f"{language} phone: round closed")
    audit(screen, f"{language} screen: round closed, teams locked", projector=True)
    audit(console, f"{language} console: locked")

    # the reveal and the scores
    console.click("#reveal-btn")
    for page in (console, screen, anna, bram, cleo):
        phase(page, "revealed")
    anna.wait_for_selector("#result")
    audit(anna, f"{language} phone: reveal")
    audit(cleo, f"{language} phone: reveal (other team)")
    screen.wait_for_selector("#reveal-chart")
    audit(screen, f"{language} screen: reveal", projector=True)
    screen.screenshot(path=str(ARTIFACTS / f"a11y-screen-{language}-reveal.png"))
    console.wait_for_selector(".score-form")
    audit(console, f"{language} console: revealed, scoring")
    for selector in ("#console-chart .chart-text", ".score-answer-text"):
        audit.expect(lang_of(console, selector) == language, f"console: {selector} is not marked lang={language}")
    console.click("#publish-btn")
    for page in (console, screen, anna, bram, cleo):
        phase(page, "scored")
    anna.wait_for_selector("#score")
    audit(anna, f"{language} phone: scored with the leaderboard")
    screen.wait_for_selector("#leaderboard")
    audit(screen, f"{language} screen: scores and leaderboard", projector=True)
    size = font_px(screen, "#leaderboard .lb-row")
    audit.expect(size >= 32, f"screen: the leaderboard's rows are {size}px at 1920x1080, less than 32px")
    screen.screenshot(path=str(ARTIFACTS / f"a11y-screen-{language}-leaderboard.png"))
    audit(console, f"{language} console: scored")
    console.click("#leaderboard-toggle")
    screen.wait_for_selector("#leaderboard-hidden")
    anna.wait_for_selector("#leaderboard-hidden")
    audit(screen, f"{language} screen: leaderboard hidden", projector=True)
    audit(anna, f"{language} phone: leaderboard hidden")
    console.click("#leaderboard-toggle")
    screen.wait_for_selector("#leaderboard")

    # the end: podium, profiles, commitments
    console.click("#end-btn")
    for page in (console, screen, anna, bram, cleo):
        phase(page, "finished")
    anna.wait_for_selector("#commitment-input")
    audit(anna, f"{language} phone: podium, profile and commitment form")
    anna.fill("#commitment-input", "Ik groet elke gast" if language == "nl" else "I greet every guest")
    anna.click("#commitment-btn")
    anna.wait_for_selector("#my-commitment[data-status='pending']")
    audit(anna, f"{language} phone: commitment waiting for approval")
    console.wait_for_selector(".commitment-row .approve-btn")
    audit(console, f"{language} console: finished, debrief and commitments")
    console.click(".commitment-row .approve-btn")
    anna.wait_for_selector("#my-commitment[data-status='approved']")
    audit(anna, f"{language} phone: commitment approved")

    screen.wait_for_selector("#debrief")
    screen.keyboard.press("p")  # hold each panel while it is checked
    screen.wait_for_selector("#debrief[data-paused='true']")
    while screen.get_attribute("#debrief", "data-page") != "overview-0":
        screen.keyboard.press("ArrowLeft")
    for n in range(4):
        page_key = screen.get_attribute("#debrief", "data-page")
        audit(screen, f"{language} screen: debrief panel {page_key}", projector=True)
        screen.screenshot(path=str(ARTIFACTS / f"a11y-screen-{language}-debrief-{n + 1}.png"))
        screen.keyboard.press("ArrowRight")
        screen.wait_for_selector(f"#debrief:not([data-page='{page_key}'])")

    console.goto(base + "/")
    console.wait_for_selector("#history")
    audit(console, f"{language} home with the workshop history")

    assert other not in (screen.get_attribute("html", "lang"), anna.get_attribute("html", "lang"))
    assert len(audit.checked) >= 40
    audit.assert_clean(language)
    assert errors == []


def test_axe_reports_a_violation(live_server, browser):
    """The checks above can fail: axe-core, injected the same way, reports a bad contrast and a missing label."""
    page = signed_in_context(browser, live_server.url, **LAPTOP).new_page()
    page.goto(live_server.url + "/")
    page.evaluate(
        """() => {
            const p = document.createElement('p');
            p.textContent = 'pale grey on white';
            p.style.color = '#c8c8c8';
            p.style.background = '#ffffff';
            document.querySelector('main').appendChild(p);
            document.querySelector('main').appendChild(document.createElement('input'));
        }"""
    )
    audit = Audit()
    audit(page, "home with a planted contrast and label problem")
    found = "\n".join(audit.problems)
    assert "color-contrast (serious)" in found and "label (critical)" in found, found
    page.context.close()


def test_countdown_is_announced_sparingly(live_server, browser):
    """The time left is said at 60, 30 and 10 seconds and at zero: not on every tick, not when a countdown starts."""
    page = browser.new_context(**PHONE).new_page()
    page.goto(live_server.url + "/play")
    said = page.evaluate(
        """async () => {
            const region = document.createElement('p');
            region.id = 'probe-announcer';
            region.setAttribute('aria-live', 'polite');
            document.querySelector('main').appendChild(region);
            const said = [];
            new MutationObserver(() => { if (region.textContent) said.push(region.textContent); })
                .observe(region, {childList: true, characterData: true, subtree: true});
            const countdown = new Aandacht.Countdown('#no-such-countdown', {
                announce: {selector: '#probe-announcer', text: (s) => s + ' seconds left'}});
            const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
            let now = Date.now() / 1000;
            countdown.update({deadline: now + 11.3, server_now: now});  // starts at 11 s: nothing to say
            await sleep(1800);  // passes 10 s once, over several ticks
            now = Date.now() / 1000;
            countdown.update({deadline: now + 40, server_now: now});  // extended: a jump up says nothing
            await sleep(600);
            now = Date.now() / 1000;
            countdown.update({deadline: now + 0.6, server_now: now});
            await sleep(1200);  // reaches zero
            return said;
        }"""
    )
    assert said == ["10 seconds left", "0 seconds left"]
    page.context.close()


# ---- the keyboard alone ---------------------------------------------------------------------------------------------

FOCUS_RING = """() => {
    const e = document.activeElement;
    if (!e || e === document.body) return {name: 'nothing', ring: false};
    const shown = e.matches('.seg-input') ? e.nextElementSibling : e;  // a score's radio draws its ring on its label
    const s = getComputedStyle(shown);
    const name = e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
        + (e.className ? '.' + String(e.className).split(' ').join('.') : '');
    return {name: name, ring: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2};
}"""


def focused(page) -> dict:
    """What has the focus, and whether it shows a focus ring of at least 2 px."""
    return page.evaluate(FOCUS_RING)


def tab_to(page, selector: str, *, back: bool = False, limit: int = 200):
    """Press Tab (Shift+Tab) until `selector` has the focus; every stop on the way must show its focus ring."""
    key = "Shift+Tab" if back else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        now = focused(page)
        if now["name"] == "nothing":
            continue  # past the last element: the browser's own controls, then the page's first element again
        assert now["ring"], f"no visible focus on {now['name']} (on the way to {selector})"
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"{selector} cannot be reached with {key}")


IN_CONTROLS = "() => document.activeElement && document.activeElement.closest('#controls .control-buttons')"


def has_focus(page, selector: str) -> bool:
    """Whether the focused element matches `selector`."""
    return page.evaluate("(s) => !!document.activeElement && document.activeElement.matches(s)", selector)


# counts pointer presses and mouse clicks (a click from Enter or Space has detail 0) on a keyboard-only page
NO_MOUSE = """window.__mouse = 0;
addEventListener('pointerdown', () => { window.__mouse += 1; }, true);
addEventListener('click', (e) => { if (e.detail > 0) window.__mouse += 1; }, true);"""


def keyboard_phone(browser, errors: list[str], name: str):
    """A phone whose page counts any pointer or mouse use (there must be none)."""
    context = browser.new_context(**PHONE)
    context.add_init_script(script=NO_MOUSE)
    return watch(context.new_page(), errors, name)


def test_keyboard_alone(live_server, browser):
    """A participant plays a card and leaves a commitment, and the facilitator runs the round, by keyboard only."""
    base, errors = live_server.url, []
    console_context = signed_in_context(browser, base, **LAPTOP)
    console = watch(console_context.new_page(), errors, "console", confirm="End the workshop")
    code = create_workshop(console, base, "Keyboard", "en", timer=0)

    # Kim: the code, the name and a new team, by keyboard
    kim = keyboard_phone(browser, errors, "kim")
    kim.goto(f"{base}/play")
    tab_to(kim, "#code-input")
    kim.keyboard.type(code.lower())
    kim.keyboard.press("Enter")
    kim.wait_for_selector("#name-input")
    kim.wait_for_function("() => document.activeElement && document.activeElement.id === 'name-input'")
    kim.keyboard.type("Kim")
    kim.keyboard.press("Enter")
    kim.wait_for_selector("#new-team-name")
    assert focused(kim)["name"] != "nothing", "the focus is lost after joining"
    tab_to(kim, "#new-team-name")
    kim.keyboard.type("Keys")
    kim.keyboard.press("Enter")
    kim.wait_for_selector("#team-lobby")
    assert has_focus(kim, "#team-lobby h1"), f"after joining a team the focus is on {focused(kim)['name']}"

    # Lou starts a second team with the mouse; Max chooses a team with the arrow keys and Enter
    lou = watch(browser.new_context(**PHONE).new_page(), errors, "lou")
    lou.goto(f"{base}/j/{code}")
    lou.fill("#name-input", "Lou")
    lou.click("#join-btn")
    lou.fill("#new-team-name", "Mouse")
    lou.click("#create-team-btn")
    lou.wait_for_selector("#team-lobby")
    max_ = keyboard_phone(browser, errors, "max")
    max_.goto(f"{base}/j/{code}")
    max_.wait_for_function("() => document.activeElement && document.activeElement.id === 'name-input'")
    max_.keyboard.type("Max")
    max_.keyboard.press("Enter")
    max_.wait_for_selector(".team-option >> text=Mouse")
    tab_to(max_, ".team-option")
    first = max_.evaluate("document.activeElement.textContent")
    max_.keyboard.press("ArrowDown")
    assert max_.evaluate("document.activeElement.textContent") != first, "the arrow keys do not move between teams"
    for _ in range(3):
        if "Keys" in max_.evaluate("document.activeElement.textContent"):
            break
        max_.keyboard.press("ArrowDown")
    # a live update redraws the list under Max's focus: the focus stays on the same team
    console.fill("#add-team-name", "Latecomers")
    console.click("#add-team-btn")
    max_.wait_for_selector(".team-option >> text=Latecomers")
    assert "Keys" in max_.evaluate("document.activeElement.textContent"), "the focus left Max's team on a live update"
    assert focused(max_)["ring"]
    max_.keyboard.press("Enter")
    max_.wait_for_selector("#team-lobby")
    kim.wait_for_selector("#members >> text=Max")

    # the facilitator deals by keyboard
    console.evaluate("document.activeElement && document.activeElement.blur()")
    tab_to(console, "#deal-btn")
    console.keyboard.press("Enter")
    phase(console, "collecting")
    console.wait_for_function(IN_CONTROLS)
    assert focused(console)["ring"], "the focus is lost after dealing"
    tab_to(console, "#start-timer-btn", back=True)
    console.keyboard.press("Enter")
    console.wait_for_selector("#countdown-box:not([hidden])")
    console.wait_for_function(IN_CONTROLS)

    # Kim picks with the arrow keys and Space; Max's pick arrives live and Kim's focus stays where it is
    phase(kim, "collecting")
    kim.wait_for_selector("#why-input")
    assert has_focus(kim, "h1#card-title"), f"a new card should take the focus to its title, not {focused(kim)['name']}"
    tab_to(kim, ".response-btn")
    kim.keyboard.press("ArrowDown")
    second = kim.evaluate("document.activeElement.dataset.responseId")
    kim.keyboard.press("Space")
    kim.wait_for_selector(f".response-btn[data-response-id='{second}'][aria-pressed='true']")
    tab_to(max_, ".response-btn")
    max_.keyboard.press("Enter")
    kim.wait_for_selector(".response-btn .pickers:not([hidden]) >> text=Max")
    assert kim.evaluate("document.activeElement.dataset.responseId") == second, "a team-mate's pick moved Kim's focus"
    assert focused(kim)["ring"]

    # the why and the lock-in
    tab_to(kim, "#why-input")
    kim.keyboard.type("The guest comes first")
    tab_to(kim, "#lock-btn")
    kim.keyboard.press("Enter")
    kim.wait_for_selector("#locked-in")
    kim.wait_for_function("() => document.activeElement && document.activeElement.id === 'locked-in'")
    assert "The guest comes first" in kim.inner_text("#locked-in")

    # the facilitator locks, reveals, scores and publishes by keyboard
    console.wait_for_selector(".pick-team.is-locked")
    tab_to(console, "#lock-btn")
    console.keyboard.press("Enter")
    phase(console, "locked")
    console.wait_for_function("() => document.activeElement && document.activeElement.id === 'reveal-btn'")
    console.keyboard.press("Enter")
    phase(console, "revealed")
    console.wait_for_selector(".score-form")
    keys_id = console.locator(".score-form").filter(has_text="Keys").get_attribute("data-team-id")
    form = f".score-form[data-team-id='{keys_id}']"
    tab_to(console, f"{form} input[name=attention]")
    before = console.evaluate("document.activeElement.value")
    console.keyboard.press("ArrowRight")
    after = console.evaluate("document.activeElement.value")
    assert after != before and console.is_checked(f"{form} input[name=attention][value='{after}']")
    tab_to(console, f"{form} .score-save")
    console.keyboard.press("Enter")
    console.wait_for_selector(f"{form}.is-saved")
    assert has_focus(console, f"{form} .score-save"), "saving a score redrew the form and lost the focus"
    tab_to(console, "#publish-btn", back=True)
    console.keyboard.press("Enter")
    phase(console, "scored")
    phase(kim, "scored")
    kim.wait_for_selector("#score")
    assert focused(kim)["name"] != "nothing"

    # the end, and Kim's commitment by keyboard
    tab_to(console, "#end-btn")
    console.keyboard.press("Enter")
    phase(kim, "finished")
    console.wait_for_function("() => document.activeElement && document.activeElement.id === 'phase'")
    kim.wait_for_selector("#commitment-input")
    tab_to(kim, "#commitment-input")
    kim.keyboard.type("I greet every guest by name")
    tab_to(kim, "#commitment-btn")
    kim.keyboard.press("Enter")
    kim.wait_for_selector("#my-commitment[data-status='pending']")
    kim.wait_for_function("() => document.activeElement && document.activeElement.id === 'commitment-edit-btn'")
    assert focused(kim)["ring"]
    assert kim.evaluate("() => window.__mouse") == 0 and max_.evaluate("() => window.__mouse") == 0
    kim.evaluate("() => window.scrollTo(0, 0)")  # a full-page shot of a scrolled page moves the sticky bar
    kim.screenshot(path=str(ARTIFACTS / "a11y-keyboard-phone.png"), full_page=True)
    console.screenshot(path=str(ARTIFACTS / "a11y-keyboard-console.png"))
    kim.mouse.click(5, 400)  # the counter above does see a mouse
    assert kim.evaluate("() => window.__mouse") > 0
    assert errors == []
