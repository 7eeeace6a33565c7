"""Replicas under chaos, on one PostgreSQL: API processes (`edtriage serve --no-worker`) and worker processes
(`edtriage worker`). Arrivals are posted to the APIs in turn while workers are killed with SIGKILL and restarted
at random, and PostgreSQL is crash-restarted (immediate mode) once half-way through, or --restarts times evenly
spread over the posting; a tenth of the patients get new vitals (a second scoring round). Two boards long-poll the
APIs in turn with If-None-Match. Then the database is checked:

- every posted arrival is there once, done (none queued, failed or missing);
- every arrival has exactly one assessment per scoring round and phase (rules; and model with --model), and one
  `assessment.written` audit row per round;
- the audit chain verifies (`edtriage verify-audit`);
- each board's revisions only went up, no snapshot lost a row or showed an older assessment than one before it,
  and each board ended on the final revision with every arrival on it.

It prints the figures (arrivals/s end to end, the API's and the queue's longest outage around a database restart)
and writes them, with every check, as JSON to --report. The exit status is 0 only when every check holds.

Run by bench/replicas.sh, which makes the private PostgreSQL cluster and the environment (database URLs, JWT
secret). Standard library only.
"""
import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

COMPLAINTS = [
    ("chest pain", "Central chest pressure for 30 minutes radiating to the left arm, sweaty.", 64),
    ("ankle injury", "Twisted ankle, able to bear weight with a limp.", 27),
    ("shortness of breath", "Breathless for two days, productive cough.", 78),
    ("headache", "Gradual headache since the morning, no neck stiffness.", 35),
    ("abdominal pain", "Lower right abdominal pain since last night, nauseated.", 22),
    ("laceration", "Cut to the forearm on glass, bleeding controlled.", 41),
    ("fever", "Fever and sore throat for three days, drinking well.", 19),
    ("back pain", "Lower back pain after lifting, no weakness or numbness.", 50),
]


def vitals(rng):
    return {"hr": rng.randint(60, 125), "rr": rng.randint(12, 26), "sbp": rng.randint(95, 170),
            "dbp": rng.randint(55, 95), "spo2": rng.randint(91, 100), "temp_c": round(rng.uniform(36.2, 38.9), 1),
            "pain": rng.randint(0, 9), "gcs": 15, "avpu": "A", "on_oxygen": False}


def arrival(number, seed):
    """Arrival `number` of the run: the same body each time it is asked for (a re-delivery is the same)."""
    rng = random.Random(seed * 1_000_003 + number)
    complaint, note, age = COMPLAINTS[number % len(COMPLAINTS)]
    return {"source": "replicas-bench", "external_id": f"R{number:06d}", "patient_ref": f"MRN-R{number:06d}",
            "age": {"years": age}, "sex": "F" if number % 2 else "M", "arrival_mode": "walk-in",
            "chief_complaint": complaint, "note": note, "vitals": vitals(rng)}


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def request(url, token, body=None, headers=None, timeout=15):
    """(status, headers, parsed JSON or None); status 0 when the connection failed."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method="POST" if body is not None else "GET")
    req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            payload = response.read()
            return response.status, response.headers, json.loads(payload) if payload else None
    except urllib.error.HTTPError as error:
        return error.code, error.headers, None
    except (OSError, ValueError):
        return 0, {}, None


class Processes:
    """The service's processes, each with its own log file, restartable."""

    def __init__(self, edtriage, workdir, environment):
        self.edtriage, self.workdir, self.environment = edtriage, workdir, environment
        self.running = {}
        self.starts = {}

    def start(self, name, arguments, extra=None):
        self.starts[name] = self.starts.get(name, 0) + 1
        log = open(os.path.join(self.workdir, f"{name}.log"), "ab")
        environment = dict(self.environment, **(extra or {}))
        self.running[name] = (subprocess.Popen([self.edtriage, *arguments], env=environment, stdout=log,
                                               stderr=subprocess.STDOUT), arguments, extra)
        log.close()

    def kill(self, name):
        process = self.running[name][0]
        process.send_signal(signal.SIGKILL)
        process.wait()

    def restart(self, name):
        _, arguments, extra = self.running[name]
        self.start(name, arguments, extra)

    def stop_all(self):
        """SIGTERM to each, as systemd or Kubernetes stops them; returns those still running 30 s later (killed)."""
        for process, _, _ in self.running.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        stuck = []
        for name, (process, _, _) in self.running.items():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                stuck.append(name)
                process.kill()
                process.wait()
        return stuck


class Board:
    """A board long-polling the APIs in turn, keeping what each 200 showed."""

    def __init__(self, apis, token, first):
        self.apis, self.token, self.turn = apis, token, first
        self.revisions = []
        self.problems = []
        self.rows = {}
        self.outages = []
        self.stopping = threading.Event()
        self.etag = None

    def poll_once(self, wait):
        api = self.apis[self.turn % len(self.apis)]
        self.turn += 1
        headers = {"If-None-Match": self.etag} if self.etag else {}
        status, response_headers, body = request(f"{api}/v1/worklist?wait={wait}", self.token, headers=headers,
                                                 timeout=wait + 20)
        if status == 200:
            self.take(body, response_headers.get("ETag"))
        return status

    def take(self, snapshot, etag):
        revision = snapshot["revision"]
        if self.revisions and revision <= self.revisions[-1]:
            self.problems.append(f"revision {revision} after {self.revisions[-1]}")
        self.revisions.append(revision)
        self.etag = etag
        seen = {row["arrival_id"]: row["assessment_id"] for row in snapshot["rows"]}
        for arrival_id, assessment_id in self.rows.items():
            if arrival_id not in seen:
                self.problems.append(f"revision {revision} lost arrival {arrival_id}")
            elif seen[arrival_id] < assessment_id:
                self.problems.append(f"revision {revision} shows an older assessment of arrival {arrival_id}")
        self.rows = seen

    def run(self):
        down_since = None
        while True:
            began = time.monotonic()
            status = self.poll_once(wait=2)
            now = time.monotonic()
            if status in (200, 304):
                if down_since is not None:
                    self.outages.append((down_since, now))
                    down_since = None
            else:
                down_since = down_since or began
            if self.stopping.is_set():
                if down_since is not None:
                    self.outages.append((down_since, now))
                return
            if status not in (200, 304):
                time.sleep(0.2)


def mint(edtriage, environment, role):
    return subprocess.run([edtriage, "token", "--role", role, "--subject", f"replicas-{role}"], env=environment,
                          check=True, capture_output=True, text=True).stdout.strip()


def psql(command, sql):
    # On standard input: the checks list every arrival id, beyond an argument's size with many arrivals.
    return subprocess.run([*command, "-At", "-F", "|"], input=sql, check=True, capture_output=True,
                          text=True).stdout.strip()


def wait_ready(apis, deadline):
    for api in apis:
        while request(f"{api}/readyz", "")[0] != 200:
            if time.monotonic() > deadline:
                raise SystemExit(f"{api} was not ready in time")
            time.sleep(0.2)


def post_until_taken(apis, token, path, body, first, deadline):
    """POSTs to the APIs in turn until one answers 200 or 202, as a registration feed re-delivers; returns
    (response JSON or None when refused or out of time, failed attempts)."""
    failures = 0
    turn = first
    while True:
        status, _, answer = request(f"{apis[turn % len(apis)]}{path}", token, body)
        if status in (200, 202):
            return answer, failures
        if status not in (0, 500, 503, 504) or time.monotonic() > deadline:
            print(f"POST {path} answered {status}", file=sys.stderr)
            return None, failures
        failures += 1
        turn += 1
        time.sleep(0.2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edtriage", required=True)
    parser.add_argument("--psql", required=True, help="psql command line for the database, as one string")
    parser.add_argument("--crash-restart", required=True, help="command that crash-restarts PostgreSQL")
    parser.add_argument("--restarts", type=int, default=1, help="PostgreSQL crash-restarts, spread over the posting")
    parser.add_argument("--arrivals", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=50, help="arrivals posted per second")
    parser.add_argument("--apis", type=int, default=2)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--model", action="store_true", help="workers run the model phase too (model.path)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--report")
    parser.add_argument("--log-level", default="warning", help="the processes' log.level; their logs go to "
                        "EDTRIAGE_REPLICAS_LOGS (default .local/replicas)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds the whole run may take")
    arguments = parser.parse_args()
    # Stopped from outside, the processes are still stopped (the `finally` below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    rng = random.Random(arguments.seed)
    deadline = time.monotonic() + arguments.timeout
    psql_command = arguments.psql.split()

    workdir = os.environ.get("EDTRIAGE_REPLICAS_LOGS") or os.path.join(os.getcwd(), ".local", "replicas")
    os.makedirs(workdir, exist_ok=True)
    environment = dict(os.environ)
    if not arguments.model:
        environment.pop("EDTRIAGE_MODEL_PATH", None)
    # Short leases and back-off, so a killed worker's claims are taken over within seconds.
    environment.update({"EDTRIAGE_WORKER_LEASE_SECONDS": "5", "EDTRIAGE_WORKER_POLL_INTERVAL_MS": "500",
                        "EDTRIAGE_WORKER_BACKOFF_BASE_MS": "200", "EDTRIAGE_WORKER_BACKOFF_CAP_MS": "2000",
                        "EDTRIAGE_HTTP_STATUS_REFRESH_MS": "500", "EDTRIAGE_MODEL_RATIONALE_MAX_TOKENS": "0",
                        "EDTRIAGE_LOG_LEVEL": arguments.log_level})
    tokens = {role: mint(arguments.edtriage, environment, role) for role in ("intake", "nurse", "dashboard")}

    processes = Processes(arguments.edtriage, workdir, environment)
    apis = []
    for n in range(arguments.apis):
        port = free_port()
        processes.start(f"api-{n}", ["serve", "--no-worker"], {"EDTRIAGE_HTTP_PORT": str(port)})
        apis.append(f"http://127.0.0.1:{port}")
    workers = [f"worker-{n}" for n in range(arguments.workers)]
    for name in workers:
        processes.start(name, ["worker"])
    stuck = ["all"]
    try:
        wait_ready(apis, deadline)
        report = run(arguments, rng, deadline, apis, workers, processes, tokens, psql_command)
    finally:
        stuck = processes.stop_all()
    report["not_stopping_on_sigterm"] = stuck
    report["verify_audit"] = subprocess.run([arguments.edtriage, "verify-audit"], env=environment,
                                            capture_output=True, text=True).returncode == 0
    report["holds"] = all([report["missing"] == 0, report["unexpected"] == 0, report["not_done"] == 0, report["round_phase_gaps"] == 0,
                           report["round_phase_duplicates"] == 0, report["audit_round_mismatches"] == 0,
                           report["verify_audit"], report["board_problems"] == [], report["boards_complete"],
                           all(report["apis_answering"]), stuck == []])
    print_report(report)
    if arguments.report:
        with open(arguments.report, "w") as handle:
            json.dump(report, handle, indent=2)
    return 0 if report["holds"] else 1


def run(arguments, rng, deadline, apis, workers, processes, tokens, psql_command):
    boards = [Board(apis, tokens["dashboard"], first=n) for n in range(2)]
    board_threads = [threading.Thread(target=board.run, daemon=True) for board in boards]
    for thread in board_threads:
        thread.start()

    chaos_over = threading.Event()
    kills = []
    database_restarts = []

    def chaos():
        # Workers die at random all through the ingest, and come back a moment later.
        while not chaos_over.wait(rng.uniform(0.5, 2.5)):
            name = rng.choice(workers)
            processes.kill(name)
            kills.append(name)
            time.sleep(rng.uniform(0.1, 1.5))
            processes.restart(name)

    chaos_thread = threading.Thread(target=chaos, daemon=True)
    chaos_thread.start()

    ids = {}
    retriaged = set()
    failed_posts = [0]
    lock = threading.Lock()
    started = time.monotonic()
    numbers = list(range(arguments.arrivals))
    crash_at = {arguments.arrivals * k // (arguments.restarts + 1) for k in range(1, arguments.restarts + 1)}

    def post(number):
        body = arrival(number, arguments.seed)
        answer, failures = post_until_taken(apis, tokens["intake"], "/v1/arrivals", body, number, deadline)
        with lock:
            failed_posts[0] += failures
            if answer is None:
                return
            ids[number] = answer["arrival_id"]
        # New vitals for an earlier patient, once it is on the board: a second scoring round.
        earlier = number - 50
        if earlier >= 0 and earlier % 10 == 0:
            with lock:
                arrival_id = ids.get(earlier)
            if arrival_id is not None and retriage(arrival_id, number):
                with lock:
                    retriaged.add(arrival_id)

    def retriage(arrival_id, turn):
        new_vitals = {"vitals": vitals(random.Random(arrival_id))}
        # One key for every attempt: an attempt committed as its answer was lost is not a further round.
        key = {"Idempotency-Key": f"replicas-vitals-{arrival_id}"}
        for _ in range(50):
            status, _, _ = request(f"{apis[turn % len(apis)]}/v1/arrivals/{arrival_id}/vitals", tokens["nurse"],
                                   new_vitals, key)
            if status == 202:
                return True
            turn += 1
            time.sleep(0.2)
        return False

    def crash_restart(previous):
        # Beside the posting, which goes on through the outage as a registration feed's would; one at a time.
        if previous:
            previous.join()
        began = time.monotonic()
        subprocess.run(arguments.crash_restart, shell=True, check=True)
        database_restarts.append((began, time.monotonic()))

    senders = []
    crash = None
    for index, number in enumerate(numbers):
        # Paced: arrival k goes out at k / rate seconds.
        delay = started + index / arguments.rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        if number in crash_at:
            crash = threading.Thread(target=crash_restart, args=(crash,))
            crash.start()
        sender = threading.Thread(target=post, args=(number,))
        sender.start()
        senders.append(sender)
        if len(senders) > 64:
            senders.pop(0).join()
    for sender in senders:
        sender.join()
    if crash:
        crash.join()
    posted = time.monotonic()
    chaos_over.set()
    chaos_thread.join()

    # Drained when every arrival is done in its current round (and its model jobs, with the model).
    while True:
        open_work = int(psql(psql_command, """
            SELECT (SELECT count(*) FROM arrivals WHERE state IN ('queued', 'processing'))
                 + (SELECT count(*) FROM model_jobs WHERE state IN ('queued', 'processing'))"""))
        if open_work == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    drained = time.monotonic()
    # Arrival 1 kept its first vitals (every tenth is re-triaged), so posting it again is a plain re-delivery.
    answering = [api_answers(api, tokens, arrival(1, arguments.seed)) for api in apis]
    time.sleep(3)  # the boards' last long-polls
    for board in boards:
        board.stopping.set()
    for thread in board_threads:
        thread.join()
    report = check(arguments, psql_command, ids, retriaged, boards, kills, failed_posts[0], database_restarts,
                   started, posted, drained)
    report["apis_answering"] = answering
    return report


def api_answers(api, tokens, first_arrival):
    """Whether the API still reads the board and takes arrivals (a re-delivery, which writes nothing) promptly."""
    board, _, _ = request(f"{api}/v1/worklist", tokens["dashboard"], timeout=10)
    redelivery, _, answer = request(f"{api}/v1/arrivals", tokens["intake"], first_arrival, timeout=10)
    return board == 200 and redelivery == 200 and bool(answer and answer.get("duplicate"))


def check(arguments, psql_command, ids, retriaged, boards, kills, failed_posts, database_restarts,
          started, posted, drained):
    phases = ["rules", "model"] if arguments.model else ["rules"]
    phase_list = ",".join(f"'{phase}'" for phase in phases)
    id_list = ",".join(str(arrival_id) for arrival_id in ids.values()) or "NULL"
    rows = psql(psql_command, f"""
        WITH expected AS (
            SELECT a.id, r AS round, p AS phase
            FROM arrivals a, generate_series(1, a.scoring_round) r, unnest(ARRAY[{phase_list}]) p
            WHERE a.id IN ({id_list})),
        counted AS (
            SELECT e.id, e.round, e.phase, count(s.id) AS n
            FROM expected e LEFT JOIN assessments s
                ON s.arrival_id = e.id AND s.scoring_round = e.round AND s.phase = e.phase
            GROUP BY e.id, e.round, e.phase),
        audited AS (
            SELECT a.id, a.scoring_round,
                   (SELECT count(*) FROM audit_log l
                    WHERE l.entity = 'arrival' AND l.entity_id = a.id::text AND l.action = 'assessment.written')
                       AS written
            FROM arrivals a WHERE a.id IN ({id_list}))
        SELECT (SELECT count(*) FROM arrivals WHERE id IN ({id_list})),
               (SELECT count(*) FROM arrivals WHERE id IN ({id_list}) AND state <> 'done'),
               (SELECT count(*) FROM counted WHERE n = 0),
               (SELECT count(*) FROM counted WHERE n > 1),
               (SELECT count(*) FROM audited WHERE written <> scoring_round),
               (SELECT count(*) FROM arrivals WHERE id IN ({id_list}) AND scoring_round > 1),
               (SELECT count(*) FROM assessments),
               (SELECT count(*) FROM arrivals),
               (SELECT coalesce(max(revision), 0) FROM departments),
               (SELECT count(*) FROM worklist)""").split("|")
    (present, not_done, gaps, duplicates, audit_mismatches, second_rounds, assessments, arrivals_total,
     revision, on_board) = map(int, rows)
    stalls = [stall for stall in (queue_stall(psql_command, *restart) for restart in database_restarts)
              if stall is not None]
    outages = [end - begin for board in boards for begin, end in board.outages]
    return {
        "arrivals": arguments.arrivals, "apis": arguments.apis, "workers": arguments.workers,
        "phases": phases, "posted": len(ids), "missing": arguments.arrivals - present,
        "unexpected": arrivals_total - present,
        "not_done": not_done, "second_rounds": second_rounds, "retriaged": len(retriaged),
        "round_phase_gaps": gaps, "round_phase_duplicates": duplicates, "audit_round_mismatches": audit_mismatches,
        "assessments": assessments, "worker_kills": len(kills), "database_restarts": len(database_restarts),
        "posts_retried": failed_posts,
        "final_revision": revision, "board_revisions_seen": [len(board.revisions) for board in boards],
        "board_problems": [problem for board in boards for problem in board.problems][:20],
        "boards_last": [(board.revisions[-1] if board.revisions else None, len(board.rows)) for board in boards],
        "on_board": on_board,
        "boards_complete": all(board.revisions and board.revisions[-1] == revision and len(board.rows) == on_board
                               and on_board == arrivals_total for board in boards),
        "seconds_posting": round(posted - started, 2), "seconds_to_drain": round(drained - started, 2),
        "arrivals_per_second": round(arguments.arrivals / (drained - started), 1),
        "database_restart_seconds": round(max(ended - began for began, ended in database_restarts), 2)
        if database_restarts else None,
        "board_outage_seconds": round(max(outages), 2) if outages else 0.0,
        "queue_stall_seconds": max(stalls) if stalls else None,
    }


def queue_stall(psql_command, restart_began, restart_ended):
    """The longest pause between two assessments from a database restart to a minute after it: how long the
    queue stood still."""
    now_wall, now = time.time(), time.monotonic()
    began = now_wall - (now - restart_began)
    ended = now_wall - (now - restart_ended)
    gap = psql(psql_command, f"""
        SELECT extract(epoch FROM max(gap)) FROM (
            SELECT created_at - lag(created_at) OVER (ORDER BY created_at) AS gap FROM assessments
            WHERE created_at BETWEEN to_timestamp({began}) - interval '5 seconds'
                                 AND to_timestamp({ended}) + interval '60 seconds') gaps""")
    return round(float(gap), 2) if gap else None


def print_report(report):
    print(f"{report['arrivals']} arrivals through {report['apis']} APIs and {report['workers']} workers "
          f"({report['worker_kills']} SIGKILLs, {report['database_restarts']} PostgreSQL crash-restart(s), "
          f"the longest {report['database_restart_seconds']} s): drained {report['seconds_to_drain']} s after the first, "
          f"{report['arrivals_per_second']} arrivals/s; {report['second_rounds']} second rounds")
    print(f"around the restarts: boards without an answer for at most {report['board_outage_seconds']} s, "
          f"no assessment for {report['queue_stall_seconds']} s; {report['posts_retried']} posts retried")
    print(f"missing {report['missing']}, not done {report['not_done']}, round/phase gaps "
          f"{report['round_phase_gaps']}, duplicates {report['round_phase_duplicates']}, audit mismatches "
          f"{report['audit_round_mismatches']}, audit chain {'verified' if report['verify_audit'] else 'BROKEN'}, "
          f"board revisions seen {report['board_revisions_seen']} up to {report['final_revision']}, "
          f"board problems {len(report['board_problems'])}, APIs answering {report['apis_answering']}, not stopping "
          f"on SIGTERM {report['not_stopping_on_sigterm']}: {'all hold' if report['holds'] else 'FAILED'}")


if __name__ == "__main__":
    sys.exit(main())
