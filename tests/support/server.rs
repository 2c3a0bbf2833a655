//! A real `theater server` process on a free loopback port, and a small HTTP client of its
//! API that sends the server's token (read from the server.json the server wrote) and JSON
//! content types, as the `theater` CLI does.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::Scratch;

/// A port nothing listens on right now (bound, read, released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind a free port")
        .port()
}

/// A running `theater server`, killed when dropped.
pub struct ServerProc {
    child: Child,
    pub url: String,
    stderr: PathBuf,
    /// The data directory it serves from (where its server.json is).
    pub home: PathBuf,
    /// The token it published in server.json (None with `--no-auth`).
    pub token: Option<String>,
}

impl ServerProc {
    /// `theater server` on a free loopback port with `extra` options, once it serves.
    pub fn start(s: &Scratch, extra: &[&str]) -> ServerProc {
        ServerProc::start_at(s, &format!("127.0.0.1:{}", free_port()), extra)
    }

    /// `theater server --addr ADDR` with `extra` options, once it serves.
    pub fn start_at(s: &Scratch, addr: &str, extra: &[&str]) -> ServerProc {
        let port = addr.rsplit(':').next().unwrap_or_default().to_string();
        let stderr = s.path().join(format!("server-{port}.err"));
        let log = std::fs::File::create(&stderr).expect("server log");
        let child = s
            .theater()
            .args(["server", "--addr", addr])
            .args(extra)
            .env_remove("THEATER_TOKEN")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start theater server");
        let mut server = ServerProc {
            child,
            url: format!("http://127.0.0.1:{port}"),
            stderr,
            home: s.home(),
            token: None,
        };
        server.token = server.wait_until_serving();
        server
    }

    /// Wait until the server answers and has published its server.json; its token.
    fn wait_until_serving(&mut self) -> Option<String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        let addr = self.url.trim_start_matches("http://").to_string();
        let file = self.home.join("server.json");
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "the server exited ({status}) before serving:\n{}",
                    self.log()
                );
            }
            let published = std::fs::read(&file)
                .ok()
                .and_then(|b| serde_json::from_slice::<Value>(&b).ok());
            if let Some(published) = published.filter(|p| p["pid"] == self.child.id()) {
                if std::net::TcpStream::connect(&addr).is_ok() {
                    return published["token"].as_str().map(String::from);
                }
            }
            assert!(
                Instant::now() < deadline,
                "the server did not answer in time:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Send a signal (`TERM`, `INT`, ...) to the server.
    pub fn signal(&self, signal: &str) {
        let sent = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -{signal} failed");
    }

    /// Wait for the server to exit, at most `limit`; its status and how long it took.
    pub fn wait_exit(&mut self, limit: Duration) -> (ExitStatus, Duration) {
        let began = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for the server") {
                return (status, began.elapsed());
            }
            assert!(
                began.elapsed() < limit,
                "the server did not exit within {limit:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// `theater ARGS` as a client of this server, whether it succeeds or not.
    pub fn output(&self, s: &Scratch, args: &[&str]) -> std::process::Output {
        s.theater()
            .env("THEATER_SERVER", &self.url)
            .args(args)
            .output()
            .expect("run theater")
    }

    /// `theater ARGS` (from `s`) as a client of this server; must succeed; its stdout,
    /// trimmed.
    pub fn client(&self, s: &Scratch, args: &[&str]) -> String {
        let out = self.output(s, args);
        let (stdout, stderr) = crate::texts(&out);
        assert!(out.status.success(), "theater {args:?}: {stdout}{stderr}");
        stdout.trim().to_string()
    }

    /// SIGTERM, then wait for the exit.
    pub fn terminate(mut self) -> ExitStatus {
        self.signal("TERM");
        self.wait_exit(Duration::from_secs(30)).0
    }
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// JSON calls straight to the API.
#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    pub url: String,
    pub token: Option<String>,
}

impl Api {
    pub fn new(server: &ServerProc) -> Api {
        Api {
            http: reqwest::Client::new(),
            url: server.url.clone(),
            token: server.token.clone(),
        }
    }

    /// A bare request: no token, no content type, nothing but what the test adds.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, format!("{}{path}", self.url))
    }

    /// Send `request`; the status and the body (JSON, else the text as a JSON string).
    pub async fn send(&self, request: reqwest::RequestBuilder) -> (u16, Value) {
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("request failed: {e}"));
        let status = response.status().as_u16();
        let bytes = response.bytes().await.unwrap_or_default();
        (
            status,
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned())),
        )
    }

    /// A call as the CLI makes it: the server's token, and a JSON body when there is one.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<String>,
    ) -> (u16, Value) {
        let mut request = self.request(method, path);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        self.send(request).await
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, Some(body.to_string()))
            .await
    }

    /// Read an actor's event stream until its `end`; the sequence numbers received.
    pub async fn stream_seqs(&self, id: &str) -> (Vec<u64>, Value) {
        let mut request = self.request(
            reqwest::Method::GET,
            &format!("/v1/actors/{id}/events/stream"),
        );
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let mut response = request.send().await.expect("open the stream");
        assert_eq!(response.status().as_u16(), 200);
        let mut text = String::new();
        let mut seqs = Vec::new();
        loop {
            let chunk = response
                .chunk()
                .await
                .expect("read the stream")
                .expect("the stream closed before its end event");
            text.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(at) = text.find("\n\n") {
                let block: String = text.drain(..at + 2).collect();
                let data = block
                    .lines()
                    .find_map(|l| l.strip_prefix("data: "))
                    .map(|d| serde_json::from_str::<Value>(d).expect("JSON data"));
                match (block.lines().any(|l| l == "event: end"), data) {
                    (true, Some(end)) => return (seqs, end),
                    (false, Some(event)) => seqs.push(event["seq"].as_u64().expect("seq")),
                    _ => {}
                }
            }
        }
    }
}
