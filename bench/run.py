"""Runs every benchmark scenario against the release server as a separate process, with wrk, next to
pgbench running the best SQL for the same answer with the same client count. Called by bench/run.sh,
which builds and installs what this needs; see bench/README.md.

Settings (environment): BENCH_DATABASE_URL (postgres://postgres@127.0.0.1:5432/congdanso_run_bench),
BENCH_REPORTS (1000000), BENCH_CITIZENS (100000), BENCH_SECONDS (10), BENCH_CLIENTS (1,32,128),
BENCH_SCENARIOS (all: near,box,file_report,inbox,report_view,stats,categories,login_storm,photo_upload),
BENCH_PROFILE (scenarios to record with `perf` at 32 clients, e.g. near,file_report; none by default).
"""

import datetime
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVER = os.path.join(ROOT, "target", "release", "congdanso")
DATABASE = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/congdanso_run_bench")
REPORTS = int(os.environ.get("BENCH_REPORTS", "1000000"))
CITIZENS = int(os.environ.get("BENCH_CITIZENS", "100000"))
BUSY_REPORTS = 20000
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CLIENTS = [int(c) for c in os.environ.get("BENCH_CLIENTS", "1,32,128").split(",")]
ALL_SCENARIOS = ["near", "box", "file_report", "inbox", "report_view", "stats", "categories", "login_storm",
                 "photo_upload"]
SCENARIOS = [s for s in os.environ.get("BENCH_SCENARIOS", ",".join(ALL_SCENARIOS)).split(",") if s]
PROFILE = set(os.environ.get("BENCH_PROFILE", "").split(","))
PORT = 18080
BASE = f"http://127.0.0.1:{PORT}"
PASSWORD = "den-duong-hong-2026"
ADMIN = "bench-admin@tinh.gov.vn"
ADMIN_PASSWORD = "quan-tri-vien-2026"
# Đà Lạt's Phường Xuân Hương: the busy commune whose office's inbox is read.
BUSY_POSITION = (11.9404, 108.4583)
WORK = os.path.join(tempfile.gettempdir(), "congdanso-bench")


def log(message):
    print(f"== {message}", flush=True)


def psql(sql, database=DATABASE, variables=None, file=None):
    args = ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", database]
    for name, value in (variables or {}).items():
        args += ["-v", f"{name}={value}"]
    args += ["-f", file] if file else ["-c", sql]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout.strip()


def call(method, path, body=None, token=None, timeout=600):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(BASE + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    request.add_header("Idempotency-Key", f"bench-seed-{time.time_ns()}")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


class Server:
    """The release binary as its own process; `ready_ms` is how long it took to answer /health/ready."""

    running = []

    def __init__(self, database, data_dir, extra=None):
        env = dict(os.environ, DATABASE_URL=database, CDS_BIND=f"127.0.0.1:{PORT}", CDS_DATA_DIR=data_dir,
                   CDS_AUTH_RATE_LIMIT="100000000", CDS_ADDRESS_RATE_LIMIT="100000000", RUST_LOG="warn",
                   CDS_JWT_SECRET="bench-secret-bench-secret-bench-secret-42",
                   CDS_ONBOARDING_KEY="bench-onboarding-bench-onboarding-key-42")
        env.update(extra or {})
        try:
            urllib.request.urlopen(BASE + "/health/live", timeout=1)
            sys.exit(f"something already answers on {BASE}: stop it first")
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        started = time.monotonic()
        self.log = open(os.path.join(WORK, "server.log"), "a")
        self.process = subprocess.Popen([SERVER, "serve"], env=env, stdout=self.log, stderr=self.log)
        Server.running.append(self)
        while True:
            try:
                with urllib.request.urlopen(BASE + "/health/ready", timeout=1) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if self.process.poll() is not None:
                sys.exit(f"the server stopped; see {WORK}/server.log")
            time.sleep(0.005)
        self.ready_ms = (time.monotonic() - started) * 1000

    def rss_mb(self):
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


class RssSampler(threading.Thread):
    """The server's largest resident set while a scenario runs, sampled every 100 ms."""

    def __init__(self, server):
        super().__init__(daemon=True)
        self.server, self.peak, self.running = server, server.rss_mb(), True

    def run(self):
        while self.running:
            self.peak = max(self.peak, self.server.rss_mb())
            time.sleep(0.1)

    def stop(self):
        self.running = False
        self.join()
        return self.peak


def milliseconds(text):
    value, unit = re.match(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(scenario, clients, env, seconds=SECONDS):
    threads = str(min(2, clients))
    args = ["wrk", "-t", threads, "-c", str(clients), "-d", f"{seconds}s", "--latency", "--timeout", "30s",
            "-s", f"bench/wrk/{scenario}.lua", BASE]
    output = subprocess.run(args, cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = milliseconds(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))
    p99 = milliseconds(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    return rate, p50, p99, int(failed.group(1)) if failed else 0, errors.group(1) if errors else ""


def pgbench(scenario, clients, variables):
    logs = tempfile.mkdtemp(prefix="pgbench-", dir=WORK)
    args = ["pgbench", "-n", "-c", str(clients), "-j", str(min(2, clients)), "-T", str(SECONDS), "-l",
            "--log-prefix", os.path.join(logs, "log"), "-f", f"bench/sql/{scenario}.sql"]
    for name, value in variables.items():
        args += ["-D", f"{name}={value}"]
    output = subprocess.run(args + [DATABASE], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    rate = float(re.search(r"tps = ([\d.]+)", output).group(1))
    latencies = []
    for name in os.listdir(logs):
        with open(os.path.join(logs, name)) as entries:
            latencies += [int(line.split()[2]) / 1000 for line in entries if len(line.split()) > 2]
    shutil.rmtree(logs)
    latencies.sort()
    at = lambda p: latencies[round((len(latencies) - 1) * p)] if latencies else 0.0
    return rate, at(0.5), at(0.99)


def start_to_ready_on_sqlite():
    """Start to ready on a fresh SQLite file (migrating and seeding the reference data), then again."""
    folder = tempfile.mkdtemp(prefix="sqlite-", dir=WORK)
    times = []
    for _ in range(2):
        server = Server(f"sqlite://{folder}/congdanso.db", folder)
        times.append(server.ready_ms)
        server.stop()
    shutil.rmtree(folder)
    return times


def seed(server):
    """Accounts through the app (so their passwords hash as the app hashes them), the rest in SQL."""
    subprocess.run([SERVER, "create-admin", "--email", ADMIN], input=ADMIN_PASSWORD + "\n", text=True, check=True,
                   env=dict(os.environ, DATABASE_URL=DATABASE), capture_output=True)
    admin = login(ADMIN, ADMIN_PASSWORD)
    status, body = call("POST", "/api/v1/auth/register",
                        {"phone": "0900000001", "password": PASSWORD, "full_name": "Bench", "consent": True})
    assert status == 201, body
    citizen = body["access_token"]
    password_hash = psql("SELECT password_hash FROM users WHERE phone = '+84900000001'")
    # The busy commune's office: the one a report there is routed to.
    lat, lon = BUSY_POSITION
    status, report = call("POST", "/api/v1/reports", {"category": "waste", "description": "Rác thải ở chợ Đà Lạt.",
                                                      "position": {"lat": lat, "lon": lon}}, citizen)
    assert status == 201, report
    busy_org, busy_unit = report["organization_id"], report["unit_code"]
    status, official = call("POST", "/api/v1/admin/users", {"email": "phuong@dalat.gov.vn", "full_name": "Cán bộ",
                            "role": "official", "unit_code": "68", "organization_id": busy_org}, admin)
    assert status == 201, official
    psql(f"CREATE TABLE bench_meta AS SELECT '{busy_org}'::text AS busy_org, "
         f"'{official['initial_password']}'::text AS official_password")
    started = time.monotonic()
    psql(None, file=os.path.join(ROOT, "bench", "sql", "seed.sql"),
         variables={"reports": REPORTS, "citizens": CITIZENS, "password_hash": password_hash,
                    "busy_unit": busy_unit, "busy_org": busy_org, "busy_reports": BUSY_REPORTS})
    log(f"seeded {REPORTS + BUSY_REPORTS:,} reports and {CITIZENS:,} citizens in {time.monotonic() - started:.0f} s")


def wait_for_sums():
    """Until the server's deadline worker has computed the IOC's sums of every (month, commune) marked."""
    started, left = time.monotonic(), int(psql("SELECT count(*) FROM stats_changes"))
    if left:
        log(f"waiting for the server to compute the IOC's sums ({left:,} (month, commune) marked)")
    while left:
        time.sleep(5)
        left = int(psql("SELECT count(*) FROM stats_changes"))
    if time.monotonic() - started > 1:
        log(f"computed the IOC's sums in {time.monotonic() - started:.0f} s")


def login(name, password):
    status, body = call("POST", "/api/v1/auth/login", {"login": name, "password": password})
    assert status == 200, body
    return body["access_token"]


def fixtures():
    """The files and tokens the wrk scripts read (tokens are short-lived: made again per scenario)."""
    centers = psql("SELECT lat || ',' || lon FROM bench_centers ORDER BY k")
    with open(os.path.join(WORK, "centers.txt"), "w") as out:
        out.write(centers + "\n")
    ids = psql("SELECT id FROM bench_ids ORDER BY k")
    with open(os.path.join(WORK, "report_ids.txt"), "w") as out:
        out.write(ids + "\n")
    busy_org, official_password = psql("SELECT busy_org || '|' || official_password FROM bench_meta").split("|")
    citizen_id = psql("SELECT id FROM users WHERE phone = '+84900000001'")
    return busy_org, official_password, citizen_id


def tokens(official_password):
    return {
        "BENCH_CITIZEN_TOKEN": login("0900000001", PASSWORD),
        "BENCH_OFFICIAL_TOKEN": login("phuong@dalat.gov.vn", official_password),
        "BENCH_ADMIN_TOKEN": login(ADMIN, ADMIN_PASSWORD),
    }


def machine():
    with open("/proc/meminfo") as meminfo:
        memory_kb = int(meminfo.readline().split()[1])
    model = ""
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    pg = psql("SHOW server_version")
    return {"cores": os.cpu_count(), "memory_gb": round(memory_kb / 1024 / 1024, 1), "cpu": model,
            "kernel": platform.release(), "postgresql": pg}


def profile(server, scenario, env):
    """A flat profile of the server while wrk runs `scenario` at 32 clients (perf, symbols of the binary)."""
    data = os.path.join(WORK, "perf.data")
    recorder = subprocess.Popen(["perf", "record", "-F", "499", "-g", "-o", data, "-p", str(server.process.pid)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wrk(scenario, 32, env)
    recorder.send_signal(signal.SIGINT)
    recorder.wait()
    report = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children", "--percent-limit", "1.5",
                             "--sort", "dso,symbol", "-g", "none"], capture_output=True, text=True).stdout
    path = os.path.join(ROOT, "bench", "results", f"profile-{scenario}.txt")
    with open(path, "w") as out:
        out.writelines(line.rstrip(" -") + "\n" for line in report.splitlines() if line.strip() and line[0] != "#")
    log(f"profile of {scenario} written to {os.path.relpath(path, ROOT)}")


def main():
    os.makedirs(WORK, exist_ok=True)
    os.chdir(ROOT)
    log("start to ready on a fresh SQLite file (first start migrates and seeds; then a restart)")
    sqlite_ready = start_to_ready_on_sqlite()
    log(f"SQLite: {sqlite_ready[0]:.0f} ms first start, {sqlite_ready[1]:.0f} ms restart")

    name = DATABASE.rsplit("/", 1)[1].split("?")[0]
    admin_url = DATABASE.rsplit("/", 1)[0] + "/postgres"
    if psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'", database=admin_url) != "1":
        psql(f"CREATE DATABASE {name}", database=admin_url)
    data_dir = tempfile.mkdtemp(prefix="data-", dir=WORK)
    server = Server(DATABASE, data_dir)
    if psql("SELECT count(*) FROM pg_tables WHERE tablename = 'bench_meta'") != "1":
        if psql("SELECT count(*) FROM users") != "0":
            sys.exit(f"{name} holds data but no finished seeding: drop it (dropdb {name}) and run again")
        log(f"seeding {REPORTS:,} reports (once; later runs reuse them)")
        seed(server)
        server.stop()
        server = Server(DATABASE, data_dir)
    postgres_ready = server.ready_ms
    wait_for_sums()
    log(f"PostgreSQL: ready {postgres_ready:.0f} ms after start, with "
        f"{int(psql('SELECT count(*) FROM reports')):,} reports")
    busy_org, official_password, citizen_id = fixtures()
    raw_variables = {"org": busy_org, "user": citizen_id, "citizens": CITIZENS}

    results = []
    for scenario in SCENARIOS:
        for clients in CLIENTS:
            env = dict(os.environ, BENCH_WORK=WORK, BENCH_CITIZENS=str(CITIZENS), BENCH_PASSWORD=PASSWORD,
                       **tokens(official_password))
            beside = None
            if scenario == "login_storm":
                # A cheap GET's latency while the log-ins hash passwords: other users must not wait for them.
                beside = subprocess.Popen(
                    ["wrk", "-t", "1", "-c", "2", "-d", f"{SECONDS}s", "--latency", "-s", "bench/wrk/categories.lua",
                     BASE], cwd=ROOT, stdout=subprocess.PIPE, text=True)
            # Filings (the app's and the raw script's) leave the IOC's sums to compute again: the server does
            # that in the background, and it must not weigh on the next measurement.
            wait_for_sums()
            sampler = RssSampler(server)
            sampler.start()
            rate, p50, p99, failed, socket_errors = wrk(scenario, clients, env)
            rss = sampler.stop()
            row = {"scenario": scenario, "clients": clients, "app_rps": round(rate, 1), "app_p50_ms": round(p50, 2),
                   "app_p99_ms": round(p99, 2)}
            if beside:
                output = beside.communicate()[0]
                row["cheap_get_p99_ms"] = milliseconds(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))
            wait_for_sums()
            raw_rate, raw_p50, raw_p99 = pgbench(scenario, clients, raw_variables)
            row.update({"raw_rps": round(raw_rate, 1), "raw_p50_ms": round(raw_p50, 2), "raw_p99_ms": round(raw_p99, 2),
                        "rss_mb": round(rss, 1), "app_raw_ratio": round(rate / raw_rate, 2) if raw_rate else None,
                        "failed": failed})
            if socket_errors:
                row["socket_errors"] = socket_errors
            results.append(row)
            print(json.dumps(row, ensure_ascii=False), flush=True)
        if scenario in PROFILE:
            profile(server, scenario, env)
    server.stop()

    summary = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": machine(),
        "reports": int(psql("SELECT count(*) FROM reports")),
        "citizens": CITIZENS,
        "seconds_per_run": SECONDS,
        "start_to_ready_ms": {"sqlite_first_start": round(sqlite_ready[0]), "sqlite_restart": round(sqlite_ready[1]),
                              "postgresql": round(postgres_ready)},
        "results": results,
    }
    path = os.path.join(ROOT, "bench", "results", "latest.json")
    with open(path, "w") as out:
        json.dump(summary, out, indent=2, ensure_ascii=False)
        out.write("\n")
    print()
    print("| scenario | clients | app req/s | app p50 / p99 ms | raw req/s | raw p50 / p99 ms | app/raw | RSS MB |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        extra = f" (cheap GET p99 {r['cheap_get_p99_ms']:.1f} ms)" if "cheap_get_p99_ms" in r else ""
        print(f"| {r['scenario']}{extra} | {r['clients']} | {r['app_rps']:,.0f} | {r['app_p50_ms']:.1f} / "
              f"{r['app_p99_ms']:.1f} | {r['raw_rps']:,.0f} | {r['raw_p50_ms']:.1f} / {r['raw_p99_ms']:.1f} | "
              f"{r['app_raw_ratio']} | {r['rss_mb']:.0f} |")
    print(f"\nwritten to {os.path.relpath(path, ROOT)}")


if __name__ == "__main__":
    try:
        main()
    finally:
        for server in Server.running:
            if server.process.poll() is None:
                server.process.kill()
