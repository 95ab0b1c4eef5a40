"""Browser tests of the consoles, in Debian's Chromium driven by Selenium (scripts/browser-test.sh runs them).

They run against a live simulated plant (`qazline-demo --hold`): the line console of the agent and, when the demo
prints one, the registrar console. Each page is checked for JavaScript errors in the browser's log. With
--screenshots DIR every page is saved at desktop size and at 1280x800 (the line's touch panel).
"""
import argparse
import json
import os
import re
import sqlite3
import sys
import time
import unittest
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

ARGS = None


def answered(driver, submit):
    """Waits until the page that held `submit` is gone (the answer to its post has loaded). Chromium reports the old
    element either as stale or as not belonging to the document."""
    def gone(_):
        try:
            submit.is_enabled()
            return False
        except WebDriverException:
            return True
    WebDriverWait(driver, 20).until(gone)


def shown(test, element_id, timeout=10):
    """The element `element_id` once the page has it; when it does not come, fails naming the page and what it shows
    instead (a refusal's #message, or the start of its text) rather than only a timeout."""
    try:
        return WebDriverWait(test.driver, timeout).until(lambda d: d.find_element(By.ID, element_id))
    except TimeoutException:
        message = test.driver.find_elements(By.ID, "message")
        body = message[0].text if message else test.driver.find_element(By.TAG_NAME, "body").text[:600]
        test.fail(f"#{element_id} is not on {test.driver.current_url} after {timeout} s; the page shows: {body!r}")


def browser(width=1600, height=1000):
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={width},{height}",
                     "--lang=en-US"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(executable_path="/usr/bin/chromedriver")
    return webdriver.Chrome(options=options, service=service)


class Console(unittest.TestCase):
    """The line console: sign-in, live overview, alarms, jobs, outbox, audit log, escaping, CSRF, throttling."""

    @classmethod
    def setUpClass(cls):
        cls.url = ARGS.url.rstrip("/")
        cls.driver = browser()
        cls.wait = WebDriverWait(cls.driver, 20)

    @classmethod
    def tearDownClass(cls):
        cls.driver.quit()

    # helpers

    def js_errors(self):
        """Errors the page's scripts (or resources) logged since the last call. Refusals the tests provoke (a wrong
        password's 401, a forged form's 403, the throttle's 429) are answers, not errors."""
        expected = ("status of 401", "status of 403", "status of 429")
        return [entry for entry in self.driver.get_log("browser")
                if entry["level"] == "SEVERE" and not any(text in entry["message"] for text in expected)]

    def assertNoJSErrors(self):
        self.assertEqual(self.js_errors(), [], "the page logged errors in Chromium's console")

    def sign_in(self, user="operator", password=None):
        self.driver.get(self.url + "/login?lang=en")
        self.driver.find_element(By.ID, "user").clear()
        self.driver.find_element(By.ID, "user").send_keys(user)
        self.driver.find_element(By.ID, "password").send_keys(password or ARGS.password)
        submit = self.driver.find_element(By.ID, "login")
        submit.click()
        answered(self.driver, submit)

    def shot(self, name, reload=True):
        """Saves the page at desktop size and at the panel's 1280x800 (laid out afresh unless `reload` is False: a
        stopped agent cannot serve the page again)."""
        if not ARGS.screenshots:
            return
        os.makedirs(ARGS.screenshots, exist_ok=True)
        self.driver.save_screenshot(os.path.join(ARGS.screenshots, f"{name}-desktop.png"))
        size = self.driver.get_window_size()
        self.driver.set_window_size(1280, 800)
        if reload:
            self.driver.get(self.driver.current_url)
        time.sleep(1.5)
        self.driver.save_screenshot(os.path.join(ARGS.screenshots, f"{name}-panel-1280x800.png"))
        self.driver.set_window_size(size["width"], size["height"])
        if reload:
            self.driver.get(self.driver.current_url)

    def number(self, element_id):
        text = self.driver.find_element(By.ID, element_id).text
        return int(re.sub(r"[^0-9]", "", text) or "0")

    # tests, in order

    def test_1_reading_needs_sign_in(self):
        self.driver.get(self.url + "/")
        self.assertIn("/login", self.driver.current_url, "an anonymous browser must be sent to sign in")
        self.sign_in(password="wrong password")
        self.assertIn("Wrong user name or password", self.driver.find_element(By.ID, "error").text)
        self.shot("login")

    def test_2_overview_counts_rise_live(self):
        self.sign_in()
        self.wait.until(EC.presence_of_element_located((By.ID, "l0-bottles")))
        first = self.number("l0-bottles")
        # Live: the figure changes without reloading the page.
        self.wait.until(lambda d: self.number("l0-bottles") > first)
        self.assertEqual(self.driver.find_element(By.ID, "lost").get_attribute("hidden"), "true",
                         "the connection-lost banner shows while the agent is up")
        self.assertNoJSErrors()
        self.shot("overview")

    def test_3_alarm_appears_and_is_acknowledged(self):
        self.driver.get(self.url + "/")
        # The demo runs with many unreadable caps: bad bottles in a row raise an alarm.
        self.wait = WebDriverWait(self.driver, 90)
        self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#alarm-list .alarm.open button.ack")))
        alarm = self.driver.find_element(By.CSS_SELECTOR, "#alarm-list .alarm.open")
        alarm_id = alarm.get_attribute("id")
        alarm.find_element(By.CSS_SELECTOR, "button.ack").click()
        self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, f"#{alarm_id}.acked")))
        self.assertIn("acknowledged by operator",
                      self.driver.execute_script("return document.getElementById(arguments[0]).textContent", alarm_id))
        self.driver.get(self.url + "/audit")
        rows = [row.text for row in self.driver.find_elements(By.CSS_SELECTOR, "#audit tbody tr")]
        self.assertTrue(any("alarm-ack" in row and "operator" in row for row in rows), rows[:5])
        self.assertNoJSErrors()
        self.shot("audit")

    def test_4_job_on_the_console_has_the_right_counts(self):
        self.driver.get(self.url + "/jobs")
        if self.driver.find_elements(By.ID, "end-job-0"):  # a job left open (by the PLC's recipe or an earlier run)
            self.driver.execute_script("window.confirm = function () { return true; };")
            self.driver.find_element(By.ID, "end-job-0").click()
            self.driver.get(self.url + "/jobs")
        lot = "LOT-<script>alert(1)</script>"
        self.driver.find_element(By.ID, "lot-0").send_keys(lot)
        self.driver.find_element(By.ID, "planned-0").send_keys("500")
        self.driver.find_element(By.ID, "start-0").click()
        self.wait.until(EC.presence_of_element_located((By.ID, "job-lot")))
        self.assertEqual(self.driver.find_element(By.ID, "job-lot").text, lot, "the lot is shown as text, not run")
        job_id = int(self.driver.current_url.rstrip("/").split("/")[-1])
        time.sleep(4)
        self.driver.get(self.url + "/jobs")
        self.driver.execute_script("window.confirm = function () { return true; };")
        self.driver.find_element(By.ID, "end-job-0").click()
        self.wait.until(EC.presence_of_element_located((By.ID, "job-bottles")))
        bottles, good, rejected = self.number("job-bottles"), self.number("job-good"), self.number("job-rejected")
        self.assertGreater(bottles, 0)
        self.assertEqual(bottles, good + rejected)
        # The same counts straight from the agent's database, by the decisions that carry the job.
        with sqlite3.connect(os.path.join(ARGS.workdir, "outbox.sqlite")) as db:
            by_kind = dict(db.execute("SELECT kind, COUNT(*) FROM decision WHERE job_id = ? GROUP BY kind", (job_id,)).fetchall())
        self.assertEqual(bottles, sum(by_kind.values()))
        self.assertEqual(good, by_kind.get("good", 0))
        self.assertEqual(self.number("job-used"), by_kind.get("good", 0))
        self.assertEqual(self.driver.find_element(By.ID, "job-started-by").text, "operator")
        self.assertNoJSErrors()
        self.shot("job-report")
        csv = self.driver.find_element(By.ID, "csv").get_attribute("href")
        self.assertTrue(csv.endswith(f"/jobs/{job_id}/csv"))
        self.driver.get(self.url + "/jobs")
        self.shot("jobs")

    def test_5_outbox_page(self):
        self.driver.get(self.url + "/outbox")
        self.assertTrue(self.driver.find_element(By.ID, "pending-count").text)
        self.assertNoJSErrors()
        self.shot("outbox")
        self.driver.get(self.url + "/write-off")
        self.assertTrue(self.driver.find_element(By.CSS_SELECTOR, "main h1").text)
        self.assertNoJSErrors()
        self.shot("write-off")

    def test_5b_camera_page_shows_failed_frames(self):
        self.driver.get(self.url + "/cameras")
        self.shot("cameras")
        self.driver.find_element(By.CSS_SELECTOR, "#camera-list a").click()
        # A kept frame of a rejected bottle: its picture loads, with the overlay on top.
        WebDriverWait(self.driver, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#failed-frames figure img"))
        image = self.driver.find_element(By.CSS_SELECTOR, "#failed-frames figure img")
        WebDriverWait(self.driver, 20).until(lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image) > 0)
        self.assertTrue(self.driver.find_elements(By.CSS_SELECTOR, "#failed-frames figure svg.overlay"))
        self.assertIn(self.driver.find_element(By.CSS_SELECTOR, "#failed-frames figcaption .bad").text,
                      ["no-read", "malformed", "duplicate", "foreign", "ambiguous", "timeout"])
        # The latest frame is fetched by the page's script and refreshed.
        WebDriverWait(self.driver, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#latest img"))
        latest = self.driver.find_element(By.CSS_SELECTOR, "#latest img")
        WebDriverWait(self.driver, 20).until(lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", latest) > 0)
        self.assertNoJSErrors()
        self.shot("camera")

    def test_5c_cases_page_and_rework(self):
        # The case station packs cases from the passed bottles: wait for a few, then look at one and dissolve one.
        self.sign_in()
        # Packed ones: on a loaded machine the simulated case camera's frames come late, and the newest cases may be
        # rejected ones with nothing in them (looked at below).
        try:
            WebDriverWait(self.driver, 90).until(lambda d: (d.get(self.url + "/cases?status=packed&lang=en") or True)
                                                 and len(d.find_elements(By.CSS_SELECTOR, "#cases tbody tr")) >= 3)
        except TimeoutException:
            self.driver.get(self.url + "/cases?lang=en")
            newest = [row.text for row in self.driver.find_elements(By.CSS_SELECTOR, "#cases tbody tr")[:5]]
            self.fail("fewer than 3 packed cases after 90 s (with every case rejected for no-frame, the simulated case "
                      f"camera is starved of CPU); the newest cases: {newest}")
        self.assertTrue(self.driver.find_elements(By.CSS_SELECTOR, "section.station"))
        self.assertNoJSErrors()
        self.shot("cases")
        link = self.driver.find_element(By.CSS_SELECTOR, "#cases tbody tr td a")
        reference = link.text
        link.click()
        answered(self.driver, link)
        shown(self, "case-contents", 30)
        self.assertGreater(len(self.driver.find_elements(By.CSS_SELECTOR, "#case-contents tbody tr")), 0)
        self.assertNoJSErrors()
        self.shot("case")
        if self.driver.find_elements(By.ID, "dissolve-submit"):
            self.driver.find_element(By.ID, "reason").clear()
            self.driver.find_element(By.ID, "reason").send_keys("<script>alert(1)</script> crushed")
            submit = self.driver.find_element(By.ID, "dissolve-submit")
            submit.click()
            answered(self.driver, submit)
            self.assertIn("dissolved case " + reference, self.driver.find_element(By.ID, "notice").text)
            self.driver.get(self.url + "/cases/" + reference.replace("#", "%23"))
            self.assertEqual(self.driver.find_element(By.ID, "case-status").text, "dissolved")
            self.assertIn("<script>alert(1)</script> crushed", self.driver.find_element(By.ID, "case-facts").text)
            self.assertNoJSErrors()
        # A rejected case, when there is one: linked by its number (#id) when it has no code, and it opens.
        self.driver.get(self.url + "/cases?status=rejected&lang=en")
        rejected = self.driver.find_elements(By.CSS_SELECTOR, "#cases tbody tr td a")
        if rejected:
            link = rejected[0]
            print(f"\n  (opening rejected case {link.text})", file=sys.stderr, end=" ")
            link.click()
            answered(self.driver, link)
            self.assertEqual(shown(self, "case-status").text, "rejected")
            self.assertNoJSErrors()
            self.shot("case-rejected")

    def test_6_forged_post_is_refused(self):
        # A form without this session's token, posted from the page's own origin.
        self.driver.get(self.url + "/jobs")
        self.driver.execute_script("""
            var f = document.createElement('form'); f.method = 'post'; f.action = '/jobs/start';
            [['line', 'demo'], ['lot', 'FORGED'], ['csrf', 'not-the-token']].forEach(function (p) {
              var i = document.createElement('input'); i.type = 'hidden'; i.name = p[0]; i.value = p[1]; f.appendChild(i); });
            document.body.appendChild(f); f.submit();""")
        self.wait.until(EC.presence_of_element_located((By.ID, "message")))
        self.assertIn("security token", self.driver.find_element(By.ID, "message").text)
        self.js_errors()  # the 403 itself is logged as a failed resource

    def test_7_wrong_passwords_are_throttled(self):
        other = browser()
        try:
            answers = []
            for _ in range(6):
                other.get(self.url + "/login?lang=en")
                other.find_element(By.ID, "user").send_keys("engineer")
                other.find_element(By.ID, "password").send_keys("not the password")
                submit = other.find_element(By.ID, "login")
                submit.click()
                answered(other, submit)
                answers.append(other.find_element(By.ID, "error").text)
            # Five wrong passwords for one name, then the name is locked.
            self.assertEqual(answers[:5], ["Wrong user name or password."] * 5, answers)
            self.assertIn("Too many failed attempts", answers[5])
        finally:
            other.quit()

    def test_8_languages(self):
        self.driver.get(self.url + "/?lang=ru")
        self.assertIn("Линии", self.driver.find_element(By.CSS_SELECTOR, "header nav").text)
        self.driver.get(self.url + "/?lang=kk")
        self.assertIn("Желілер", self.driver.find_element(By.CSS_SELECTOR, "header nav").text)
        self.shot("overview-kk")
        self.driver.get(self.url + "/?lang=en")
        self.assertNoJSErrors()

    def test_9_lost_agent_is_shown(self):
        if not ARGS.demo_pid:
            self.skipTest("no --demo-pid: the demo is not ours to stop")
        self.driver.get(self.url + "/")
        self.wait.until(EC.presence_of_element_located((By.ID, "l0-bottles")))
        os.kill(ARGS.demo_pid, 19)  # SIGSTOP: the agent stops answering
        try:
            WebDriverWait(self.driver, 15).until(lambda d: d.find_element(By.ID, "lost").is_displayed())
            self.shot("connection-lost", reload=False)
        finally:
            os.kill(ARGS.demo_pid, 18)  # SIGCONT
        WebDriverWait(self.driver, 30).until(lambda d: not d.find_element(By.ID, "lost").is_displayed())


class RegistrarConsole(unittest.TestCase):
    """The registrar console: token sign-in, activations per participant live, the chart, look-up, reports."""

    @classmethod
    def setUpClass(cls):
        if not ARGS.registrar_url:
            raise unittest.SkipTest("the demo printed no registrar console")
        cls.url = ARGS.registrar_url.rstrip("/")
        cls.driver = browser()
        cls.wait = WebDriverWait(cls.driver, 30)

    @classmethod
    def tearDownClass(cls):
        cls.driver.quit()

    def errors(self):
        expected = ("status of 400", "status of 401", "status of 403", "status of 404", "status of 429")
        return [e for e in self.driver.get_log("browser") if e["level"] == "SEVERE" and not any(x in e["message"] for x in expected)]

    def shot(self, name):
        Console.shot(self, "registrar-" + name)

    def submit(self, button_id):
        """Clicks a form's button and waits until its answer has replaced the page (a click returns before that)."""
        button = self.driver.find_element(By.ID, button_id)
        button.click()
        answered(self.driver, button)

    def answer(self, element_id):
        """The text of `element_id` on the answered page (see `shown`)."""
        return shown(self, element_id).text

    def newest_code(self):
        """The code in the overview's newest event row (read in one call: the live table may be replaced between
        finding a cell and reading it)."""
        self.wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#events tr td:nth-child(4)"))
        return self.driver.execute_script("return document.querySelector('#events tr td:nth-child(4)').textContent")

    def test_1_sign_in_with_a_token_shows_the_activations(self):
        self.driver.get(self.url + "/?lang=en")
        self.assertIn("/login", self.driver.current_url)
        self.shot("login")
        self.driver.find_element(By.ID, "token").send_keys("not-a-token")
        self.submit("login")
        self.assertTrue(self.answer("error"), "a wrong token is answered on the sign-in page")
        self.driver.find_element(By.ID, "token").send_keys(ARGS.registrar_token)
        self.submit("login")
        self.assertTrue(self.answer("act-24h") is not None, "the right token opens the overview")
        first = int(re.sub(r"[^0-9]", "", self.driver.find_element(By.ID, "act-24h").text) or "0")
        # The line is running: activations arrive and the figures and the last events change without reloading.
        self.wait.until(lambda d: int(re.sub(r"[^0-9]", "", d.find_element(By.ID, "act-24h").text) or "0") > first)
        self.wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#events tr"))
        self.assertIn(ARGS.producer, self.driver.find_element(By.ID, "events").text)
        chart = self.driver.find_element(By.CSS_SELECTOR, "#chart svg")
        self.assertIn(ARGS.producer, chart.get_attribute("innerHTML"), "the chart has the producer's series")
        self.assertEqual(self.errors(), [])
        self.shot("overview")

    def test_2_look_up_a_code_and_an_injection(self):
        self.driver.get(self.url + "/?lang=en")
        code = self.newest_code()
        self.driver.find_element(By.ID, "code").send_keys(code)
        self.submit("find")
        self.wait.until(EC.presence_of_element_located((By.ID, "info-status")))
        self.assertEqual(self.driver.find_element(By.ID, "info-code").text, code)
        self.assertIn("ACTIVATED", self.driver.find_element(By.ID, "info-status").text.upper())
        self.shot("lookup")
        self.driver.find_element(By.ID, "code").clear()
        self.driver.find_element(By.ID, "code").send_keys("<script>alert(1)</script>")
        self.submit("find")
        self.assertTrue(self.answer("error"), "an injected script as a code is answered with an error")
        self.assertEqual(self.driver.execute_script("return document.querySelectorAll('main script').length"), 0)
        self.assertEqual(self.errors(), [])

    def test_3_reports_of_the_month(self):
        self.driver.get(self.url + "/reports?lang=en")
        self.wait.until(EC.presence_of_element_located((By.ID, f"p-{ARGS.producer}")))
        row = self.driver.find_element(By.ID, f"p-{ARGS.producer}")
        links = [a.get_attribute("href") for a in row.find_elements(By.TAG_NAME, "a")]
        self.assertTrue(any("app10" in link and "format=csv" in link for link in links), links)
        printable = next(link for link in links if "app10" in link and "format=html" in link)
        self.shot("reports")
        self.driver.get(printable)
        self.assertIn(ARGS.producer, self.driver.page_source)
        self.assertEqual(self.errors(), [])

    def verify(self, code, location=None):
        """A consumer's scan through the registrar's public POST /v1/verify (no token), as the stamp-check page sends it."""
        body = {"code": code}
        if location:
            body["location"] = location
        request = urllib.request.Request(self.url + "/v1/verify", data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=20) as response:
            return json.load(response)

    def test_4_counterfeits_map_and_alerts_live(self):
        # Scans that raise alerts: a well-formed code the registrar never issued, and a code the line activated (the
        # newest on the overview, not the one verify_test.py scans) scanned in Almaty, then at once in Astana.
        self.driver.get(self.url + "/?lang=en")
        code = self.newest_code()
        self.assertEqual(self.verify("QAZLINE0COUNTERFEIT0001")["verdict"], "unknown")
        self.verify(code, {"latitude": 43.2389, "longitude": 76.8897, "accuracy": 25})
        self.driver.find_element(By.LINK_TEXT, "Counterfeits").click()
        self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#alerts .cf-kind.unknownScanned")))
        latest = self.driver.find_element(By.ID, "alerts-latest").text
        # Live: the Astana scan's alert appears without reloading, highlighted, newest first.
        self.verify(code, {"latitude": 51.1283, "longitude": 71.4305, "accuracy": 30})
        self.wait.until(lambda d: d.find_element(By.ID, "alerts-latest").text != latest)
        self.wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#alerts tr.cf-alert.new .cf-kind.impossibleTravel"))
        row = next(r for r in self.driver.find_elements(By.CSS_SELECTOR, "#alerts tr.cf-alert.new")
                   if r.find_element(By.CSS_SELECTOR, "button.cf-code").text == code)
        self.assertEqual(row.find_element(By.CSS_SELECTOR, ".cf-kind").text, "Copied stamp: impossible travel")
        self.assertIn(ARGS.producer, row.text)
        # The evidence opens: both scans with their places, the distance and the speed it would need.
        details = row.find_element(By.CSS_SELECTOR, "details.cf-evidence")
        details.find_element(By.TAG_NAME, "summary").click()
        self.assertTrue(details.get_attribute("open"))
        self.assertIn("km/h needed", details.text)
        self.assertIn("43.2389, 76.8897", details.text)
        self.assertIn("Astana (city)", details.text)
        # The map (refreshed with the list): the outline, a point per region, Astana coloured by its alert.
        self.wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#map-svg circle[data-region='Astana (city)']")
                        .get_attribute("data-alerts") != "0")
        self.assertEqual(len(self.driver.find_elements(By.CSS_SELECTOR, "#map-svg circle.region[data-region]")), 20)
        self.assertTrue(self.driver.find_element(By.CSS_SELECTOR, "#map-svg path.land").get_attribute("d").startswith("M"))
        self.assertNotIn("alerts-0", self.driver.find_element(
            By.CSS_SELECTOR, "#map-svg circle[data-region='Astana (city)']").get_attribute("class"))
        self.assertEqual(self.errors(), [])
        self.shot("counterfeits")
        # The filter form: one kind only.
        self.driver.get(self.url + "/alerts?lang=en")
        self.driver.find_element(By.CSS_SELECTOR, "#kind option[value='unknownScanned']").click()
        submit = self.driver.find_element(By.ID, "show")
        submit.click()
        answered(self.driver, submit)
        self.assertIn("kind=unknownScanned", self.driver.current_url)
        kinds = {badge.text for badge in self.driver.find_elements(By.CSS_SELECTOR, "#alerts .cf-kind")}
        self.assertEqual(kinds, {"Unknown stamp"})
        self.driver.get(self.url + "/alerts?lang=kk")
        self.assertIn("Жалған өнім", self.driver.find_element(By.CSS_SELECTOR, "header nav").text)
        self.assertEqual(self.errors(), [])


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True, help="the line console, http://HOST:PORT/")
    parser.add_argument("--password", required=True, help="the demo users' password")
    parser.add_argument("--workdir", required=True, help="the demo's working directory (outbox.sqlite)")
    parser.add_argument("--demo-pid", type=int, default=0)
    parser.add_argument("--screenshots", default="")
    parser.add_argument("--registrar-url", default="", help="the registrar console, http://HOST:PORT/")
    parser.add_argument("--registrar-token", default="", help="a registrar token to sign in with")
    parser.add_argument("--producer", default="980515400019", help="the demo producer's BIN")
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0], "-v"] + rest)


if __name__ == "__main__":
    main()
