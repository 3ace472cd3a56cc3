//! A real browser for tests: Debian's headless Chromium, driven over
//! WebDriver by a `chromedriver` that the test starts on a free loopback
//! port, with JavaScript switched off so that a test proves the pages work
//! without it.
//!
//! Why fantoccini: it speaks the W3C WebDriver protocol, so the test drives
//! the browser the way a person does (find the label, type into the field it
//! names, click the button) and the same code could run against geckodriver.
//! With `default-features = false` it brings no TLS stack at all (no OpenSSL,
//! no native-tls): chromedriver is reached over plain HTTP on loopback through
//! hyper-util's `HttpConnector`. `chromiumoxide`/`headless_chrome` speak the
//! DevTools protocol instead: more power than a login journey needs, and
//! tied to one browser's internals.
//!
//! When the browser is not installed the test prints `SKIPPED: chromium not
//! installed` and passes, unless `NYCKEL_REQUIRE_BROWSER=1` (CI) makes that a
//! failure. `NYCKEL_CHROMIUM` and `NYCKEL_CHROMEDRIVER` override the paths.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

/// A laptop's window, and a phone's (an iPhone 12–15 in CSS pixels).
pub const LAPTOP: (u32, u32) = (1280, 900);
pub const PHONE: (u32, u32) = (390, 844);

fn binary(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var).map_or_else(|| PathBuf::from(default), PathBuf::from)
}

fn browser_required() -> bool {
    std::env::var("NYCKEL_REQUIRE_BROWSER").is_ok_and(|v| v == "1")
}

/// Where screenshots go: `target/screenshots/` of the workspace.
pub fn screenshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots")
}

/// The chromedriver process and the browser profile it uses; on drop asks
/// chromedriver to quit its sessions (closing Chromium), then ends it.
struct Driver {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Driver {
    fn log(&self) -> String {
        let log = std::fs::read_to_string(self.dir.join("chromedriver.log")).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(40).collect();
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // `/shutdown` quits every session (so Chromium exits) before the driver does.
        if let Ok(mut s) = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let _ = write!(
                s,
                "GET /shutdown HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
            );
            let _ = s.read(&mut [0u8; 256]);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A headless Chromium with JavaScript off, driven through chromedriver.
pub struct Browser {
    pub client: Client,
    driver: Driver,
}

impl Browser {
    /// Starts chromedriver and a browser session; `None` (after printing
    /// why) when Chromium is not installed and not required.
    pub async fn launch() -> Option<Browser> {
        let chromium = binary("NYCKEL_CHROMIUM", "/usr/bin/chromium");
        let chromedriver = binary("NYCKEL_CHROMEDRIVER", "/usr/bin/chromedriver");
        if !chromium.exists() || !chromedriver.exists() {
            if browser_required() {
                panic!(
                    "a browser is required (NYCKEL_REQUIRE_BROWSER=1) but {} or {} is missing: \
                     apt-get install -y chromium chromium-driver",
                    chromium.display(),
                    chromedriver.display()
                );
            }
            eprintln!("SKIPPED: chromium not installed");
            return None;
        }
        let dir =
            std::env::temp_dir().join(format!("nyckel-browser-{}", uuid::Uuid::new_v4().simple()));
        let profile = dir.join("profile");
        std::fs::create_dir_all(&profile).unwrap();
        // A free port: bind, note it, release it for chromedriver.
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .arg(format!(
                "--log-path={}",
                dir.join("chromedriver.log").display()
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromedriver.display()));
        let driver = Driver { child, port, dir };

        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    // The network is closed: anything that phones home stalls the browser.
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--hide-scrollbars",
                    // The browser asks for English; the journeys switch language on the page.
                    "--lang=en-US",
                    "--force-device-scale-factor=1",
                    format!("--window-size={},{}", LAPTOP.0, LAPTOP.1),
                    format!("--user-data-dir={}", profile.display()),
                ],
                // No JavaScript: the pages must work without it.
                "prefs": {
                    "profile.managed_default_content_settings.javascript": 2,
                    "intl.accept_languages": "en-US,en",
                },
            },
        });
        let serde_json::Value::Object(caps) = caps else {
            unreachable!()
        };
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = loop {
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => break c,
                Err(e) if Instant::now() > deadline => panic!(
                    "no browser session from chromedriver: {e}\n{}",
                    driver.log()
                ),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        };
        Some(Browser { client, driver })
    }

    /// Ends the browser session; the driver is ended when `self` drops.
    pub async fn close(self) {
        if let Err(e) = self.client.close().await {
            eprintln!("closing the browser session: {e}\n{}", self.driver.log());
        }
    }
}

/// The form field that the label with this text names (`<label for=…>`),
/// so a field without a proper label cannot be found.
pub async fn field(c: &Client, label: &str) -> Element {
    let xpath = format!("//label[normalize-space()={}]", xpath_literal(label));
    let label_el = c
        .find(Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|e| panic!("no label {label:?}: {e}"));
    let id = label_el
        .attr("for")
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("label {label:?} names no field"));
    c.find(Locator::Id(&id))
        .await
        .unwrap_or_else(|e| panic!("label {label:?} names #{id}, which is missing: {e}"))
}

/// The button whose text starts with `text`.
pub async fn button(c: &Client, text: &str) -> Element {
    let xpath = format!(
        "//button[starts-with(normalize-space(), {})]",
        xpath_literal(text)
    );
    c.find(Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|e| panic!("no button {text:?}: {e}"))
}

/// Types into the field labelled `label`.
pub async fn type_into(c: &Client, label: &str, text: &str) {
    field(c, label).await.send_keys(text).await.unwrap();
}

/// Clicks the button whose text starts with `text` and waits for the next page.
pub async fn click(c: &Client, text: &str) {
    let b = button(c, text).await;
    b.click().await.unwrap();
    // The old page's elements go stale once the next page has loaded.
    let deadline = Instant::now() + Duration::from_secs(20);
    while b.tag_name().await.is_ok() {
        assert!(
            Instant::now() < deadline,
            "clicking {text:?} loaded no page"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The visible text of the page's `<main>`.
pub async fn main_text(c: &Client) -> String {
    c.find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The path of the current page.
pub async fn path(c: &Client) -> String {
    c.current_url().await.unwrap().path().to_owned()
}

/// Makes the page's viewport (not the window around it: headless Chromium
/// still reserves room for a window frame) exactly `size` CSS pixels.
pub async fn set_viewport(c: &Client, size: (u32, u32)) {
    c.set_window_size(size.0, size.1).await.unwrap();
    let inner = c
        .execute("return [window.innerWidth, window.innerHeight];", vec![])
        .await
        .unwrap();
    let dim = |i: usize| inner[i].as_i64().unwrap_or(0);
    let (dw, dh) = (i64::from(size.0) - dim(0), i64::from(size.1) - dim(1));
    if (dw, dh) != (0, 0) {
        let grow = |v: u32, d: i64| u32::try_from(i64::from(v) + d).unwrap_or(v);
        c.set_window_size(grow(size.0, dw), grow(size.1, dh))
            .await
            .unwrap();
    }
}

/// A screenshot of the whole page at `size` (the width; the height grows to
/// fit the page), saved as `target/screenshots/<name>.png`. The viewport is
/// left at `size`.
pub async fn screenshot(c: &Client, name: &str, size: (u32, u32)) -> PathBuf {
    set_viewport(c, size).await;
    let height = c
        .execute("return document.documentElement.scrollHeight;", vec![])
        .await
        .unwrap()
        .as_u64()
        .unwrap_or(0);
    // Never below the viewport; capped so that a runaway page cannot eat the disk.
    let full = u32::try_from(height)
        .unwrap_or(u32::MAX)
        .clamp(size.1, 8000);
    if full > size.1 {
        set_viewport(c, (size.0, full)).await;
    }
    let png = c.screenshot().await.unwrap();
    if full > size.1 {
        set_viewport(c, size).await;
    }
    let dir = screenshot_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.png"));
    std::fs::write(&path, png).unwrap();
    path
}

/// Whether the page is wider than the window (a table or a long word that
/// makes a phone scroll sideways). WebDriver's script command runs in the
/// driver's own context, so it works with the page's JavaScript off.
pub async fn overflows_sideways(c: &Client, width: u32) -> bool {
    let w = c
        .execute(
            "return Math.max(document.documentElement.scrollWidth, document.body.scrollWidth);",
            vec![],
        )
        .await
        .unwrap();
    w.as_f64().unwrap_or(0.0) > f64::from(width) + 0.5
}

/// An XPath string literal for any text (XPath 1.0 has no escapes).
fn xpath_literal(s: &str) -> String {
    if !s.contains('\'') {
        format!("'{s}'")
    } else if !s.contains('"') {
        format!("\"{s}\"")
    } else {
        let parts: Vec<String> = s.split('\'').map(|p| format!("'{p}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}
