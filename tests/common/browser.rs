//! A real headless Chromium, driven over the W3C WebDriver protocol through Debian's `chromedriver`
//! (`chromium` and `chromium-driver`, installed by `.ci/run`). The protocol is a handful of JSON calls,
//! spoken here with reqwest rather than a WebDriver crate.
//!
//! Without a chromedriver on the machine the browser tests skip, unless `TEST_REQUIRE_BROWSER=1` (CI)
//! makes that a failure.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
/// How long the page may take to show what a test waits for.
const PATIENCE: Duration = Duration::from_secs(20);

pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    client: reqwest::Client,
}

fn chromedriver() -> Option<String> {
    let candidates = [std::env::var("CHROMEDRIVER").ok(), Some("/usr/bin/chromedriver".into())];
    candidates.into_iter().flatten().find(|path| std::path::Path::new(path).exists())
}

impl Browser {
    /// A fresh Chromium at 1366×768 (the officials' common screen), or `None` when none is installed
    /// (and the browser is not required).
    pub async fn start() -> Option<Browser> {
        let Some(driver_path) = chromedriver() else {
            assert!(std::env::var("TEST_REQUIRE_BROWSER").is_err(), "TEST_REQUIRE_BROWSER is set but no chromedriver");
            eprintln!("no chromedriver: browser test skipped (apt-get install chromium chromium-driver)");
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let driver = Command::new(driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while client.get(format!("{base}/status")).send().await.is_err() {
            assert!(tokio::time::Instant::now() < deadline, "chromedriver did not answer");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let binary = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": {"binary": binary, "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1366,768", "--lang=vi", "--no-first-run", "--disable-extensions",
            ]},
        }}});
        let created: Value =
            client.post(format!("{base}/session")).json(&capabilities).send().await.unwrap().json().await.unwrap();
        let session =
            created["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {created}")).to_string();
        Some(Browser { driver, base, session, client })
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut request = self.client.request(method, url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer: Value = request.send().await.unwrap().json().await.unwrap();
        answer["value"].clone()
    }

    pub async fn open(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({"url": url}))).await;
    }

    /// Runs `script` (a function body; `arguments` are `args`) in the page and returns its value.
    pub async fn run(&self, script: &str, args: Value) -> Value {
        self.call(reqwest::Method::POST, "/execute/sync", Some(json!({"script": script, "args": args}))).await
    }

    /// Like [`run`](Self::run) for a script that returns a promise.
    pub async fn run_async(&self, script: &str) -> Value {
        let wrapped = format!("const done = arguments[arguments.length - 1]; (async () => {{ {script} }})().then(done, e => done(String(e)));");
        self.call(reqwest::Method::POST, "/execute/async", Some(json!({"script": wrapped, "args": []}))).await
    }

    async fn find_now(&self, css: &str) -> Option<String> {
        let found =
            self.call(reqwest::Method::POST, "/element", Some(json!({"using": "css selector", "value": css}))).await;
        found[ELEMENT].as_str().map(str::to_string)
    }

    /// The element `css` selects, once the page shows it.
    pub async fn find(&self, css: &str) -> Element<'_> {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Some(id) = self.find_now(css).await {
                return Element { browser: self, id };
            }
            if tokio::time::Instant::now() >= deadline {
                panic!("the page never showed {css}: {}\n{}", self.text_of_page().await, self.logs().await);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Whether `css` selects anything now.
    pub async fn has(&self, css: &str) -> bool {
        self.find_now(css).await.is_some()
    }

    /// Waits until the text of `css` contains `expected`.
    pub async fn wait_for_text(&self, css: &str, expected: &str) -> String {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Some(id) = self.find_now(css).await {
                let text = Element { browser: self, id }.text().await;
                if text.contains(expected) {
                    return text;
                }
            }
            if tokio::time::Instant::now() >= deadline {
                panic!("{css} never read {expected:?}: {}\n{}", self.text_of_page().await, self.logs().await);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn text_of_page(&self) -> String {
        self.run("return document.body.innerText;", json!([])).await.as_str().unwrap_or_default().to_string()
    }

    /// What the page wrote to its console (errors, refused requests), for a failing test's message.
    pub async fn logs(&self) -> Value {
        self.call(reqwest::Method::POST, "/se/log", Some(json!({"type": "browser"}))).await
    }

    /// The id of the focused element (empty when it has none).
    pub async fn focused(&self) -> String {
        self.run("return document.activeElement ? document.activeElement.id : '';", json!([]))
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Presses keys on whatever has the focus (`\u{E004}` Tab, `\u{E007}` Enter, `\u{E014}` →, …).
    pub async fn press(&self, keys: &str) {
        let mut actions = Vec::new();
        for key in keys.chars() {
            actions.push(json!({"type": "keyDown", "value": key.to_string()}));
            actions.push(json!({"type": "keyUp", "value": key.to_string()}));
        }
        let body = json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]});
        self.call(reqwest::Method::POST, "/actions", Some(body)).await;
    }

    /// A PNG of the window, written to `path`.
    pub async fn screenshot(&self, path: &std::path::Path) {
        use base64::Engine;
        let png = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let bytes = base64::engine::general_purpose::STANDARD.decode(png.as_str().unwrap()).unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    pub async fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", None).await.as_str().unwrap_or_default().to_string()
    }
}

impl Drop for Browser {
    /// Ends the browser even when a test panicked: killing the driver alone would leave its Chromium
    /// running. A plain blocking request, as nothing async can run here.
    fn drop(&mut self) {
        use std::io::{Read, Write};
        let address = self.base.trim_start_matches("http://").to_string();
        if let Ok(mut stream) = std::net::TcpStream::connect(&address) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let request = format!(
                "DELETE /session/{} HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                self.session
            );
            if stream.write_all(request.as_bytes()).is_ok() {
                let _ = stream.read_to_end(&mut Vec::new());
            }
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

pub const TAB: &str = "\u{E004}";
pub const ENTER: &str = "\u{E007}";
pub const ARROW_RIGHT: &str = "\u{E014}";

pub struct Element<'a> {
    browser: &'a Browser,
    id: String,
}

impl Element<'_> {
    pub async fn click(&self) {
        self.browser.call(reqwest::Method::POST, &format!("/element/{}/click", self.id), Some(json!({}))).await;
    }

    pub async fn clear(&self) {
        self.browser.call(reqwest::Method::POST, &format!("/element/{}/clear", self.id), Some(json!({}))).await;
    }

    pub async fn type_text(&self, text: &str) {
        let answer = self
            .browser
            .call(reqwest::Method::POST, &format!("/element/{}/value", self.id), Some(json!({"text": text})))
            .await;
        assert!(answer.is_null(), "typing {text:?}: {answer}");
    }

    pub async fn text(&self) -> String {
        self.browser
            .call(reqwest::Method::GET, &format!("/element/{}/text", self.id), None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}
