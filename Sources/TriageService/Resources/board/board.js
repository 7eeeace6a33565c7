// The ED board: polls one department's GET /v1/worklist (If-None-Match + long-poll), re-renders only when the
// revision changes, and lets nurses and physicians confirm, override (with a reason) or discharge. No build step,
// no dependencies; it talks only to the service that served it.
"use strict";

const LEVEL_NAMES = { 1: "Resuscitation", 2: "Emergent", 3: "Urgent", 4: "Less urgent", 5: "Non-urgent" };
const STATE_TEXT = { awaiting_confirmation: "Awaiting confirmation", confirmed: "Confirmed", overridden: "Overridden" };
const CLINICAL_ROLES = new Set(["nurse", "physician"]);
const TOKEN_KEY = "edtriage.token";

const board = {
  token: null,
  role: null,
  etag: null,
  snapshot: null,
  // The department shown (`#department=<code>` picks it), among those the token covers.
  department: null,
  departments: [],
  fetchedAt: 0,
  selected: null,
  // Seconds the server may hold a poll open; `#wait=0` in the URL polls every few seconds instead
  // (for proxies that cut long requests).
  wait: 25,
  pollGeneration: 0,
  // Aborts the running poll when a newer one supersedes it, so no long-poll is left hanging.
  pollAbort: null,
  // `#patient=<arrival id>` opens that patient's details once the row is on the board (a deep link).
  pendingDetail: null,
};

const $ = (id) => document.getElementById(id);

/** Builds an element with text, never HTML: patient text is always inserted as text. */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

// --- Sign-in -------------------------------------------------------------------------------------------

/** The token's payload, decoded for display only: the server checks the signature and enforces roles. */
function tokenClaims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part.padEnd(part.length + (4 - part.length % 4) % 4, "=")));
  } catch {
    return null;
  }
}

/** Takes `#token=…` from the URL once into session storage, so the token never reaches a server log. */
function readFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  if (params.has("wait")) board.wait = Math.max(0, Math.min(60, Number(params.get("wait")) || 0));
  if (params.has("patient")) board.pendingDetail = Number(params.get("patient"));
  if (params.has("department")) board.department = params.get("department");
  if (params.has("token")) {
    sessionStorage.setItem(TOKEN_KEY, params.get("token"));
    params.delete("token");
    const rest = params.toString();
    history.replaceState(null, "", location.pathname + (rest ? "#" + rest : ""));
  }
}

function signIn(token) {
  const claims = tokenClaims(token);
  if (!claims || !claims.role) {
    showSignIn("That is not an EDTriage token.");
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  board.token = token;
  board.role = claims.role;
  board.etag = null;
  board.snapshot = null;
  document.body.dataset.role = claims.role;
  $("who").textContent = `${claims.sub || "unknown"} · ${claims.role}${canDecide() ? "" : " (read-only)"}`;
  $("sign-in").hidden = true;
  $("board").hidden = false;
  $("sign-out").hidden = false;
  loadDepartments().then(startPolling);
}

/** The departments the token covers; the picker shows when there are several. */
async function loadDepartments() {
  try {
    const response = await api("GET", "/v1/departments");
    board.departments = response.ok ? (await response.json()).departments : [];
  } catch {
    board.departments = [];
  }
  if (!board.departments.includes(board.department)) board.department = board.departments[0] ?? null;
  $("department").replaceChildren(...board.departments.map(
    (code) => el("option", { value: code, selected: code === board.department }, code)));
  $("department").hidden = board.departments.length < 2;
}

/** Shows another department's board: a fresh read, and the choice kept in the URL for a reload. */
function showDepartment(code) {
  board.department = code;
  board.etag = null;
  board.snapshot = null;
  closeDetail();
  const params = new URLSearchParams(location.hash.slice(1));
  params.set("department", code);
  history.replaceState(null, "", location.pathname + "#" + params.toString());
  startPolling();
}

function showSignIn(message) {
  board.pollGeneration += 1;
  board.pollAbort?.abort();
  board.token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  $("board").hidden = true;
  $("detail").hidden = true;
  $("sign-out").hidden = true;
  $("department").hidden = true;
  $("who").textContent = "";
  $("sign-in").hidden = false;
  setStatus(message || "Sign in with your access token.");
  $("token-input").focus();
}

function canDecide() {
  return CLINICAL_ROLES.has(board.role);
}

// --- API -----------------------------------------------------------------------------------------------

async function api(method, path, { headers = {}, body, signal } = {}) {
  const init = { method, headers: { Authorization: `Bearer ${board.token}`, ...headers }, cache: "no-store", signal };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (response.status === 401) {
    showSignIn("The token was refused (expired or invalid). Sign in again.");
    throw new Error("unauthenticated");
  }
  return response;
}

async function problemText(response) {
  try {
    const problem = await response.json();
    return problem.detail || problem.title || `HTTP ${response.status}`;
  } catch {
    return `HTTP ${response.status}`;
  }
}

// --- Polling -------------------------------------------------------------------------------------------

function setStatus(text) {
  $("status").textContent = text;
}

function startPolling() {
  board.pollAbort?.abort();
  board.pollAbort = new AbortController();
  poll(++board.pollGeneration, board.pollAbort.signal);
}

/** One poll after another: a 304 means nothing changed (no re-render); errors back off and retry. */
async function poll(generation, signal) {
  while (generation === board.pollGeneration) {
    const waiting = board.etag !== null && board.wait > 0;
    const headers = board.etag ? { "If-None-Match": board.etag } : {};
    try {
      const query = new URLSearchParams(board.department ? { department: board.department } : {});
      if (waiting) query.set("wait", board.wait);
      const response = await api("GET", `/v1/worklist?${query}`, { headers, signal });
      if (generation !== board.pollGeneration) return;
      if (response.status === 200) {
        board.etag = response.headers.get("ETag");
        board.snapshot = await response.json();
        board.fetchedAt = Date.now();
        renderBoard();
        openPendingDetail();
      } else if (response.status !== 304) {
        setStatus(`Worklist unavailable: ${await problemText(response)}. Retrying…`);
        await pause(1000 * (Number(response.headers.get("Retry-After")) || 5));
        continue;
      }
      setStatus(`Live · updated ${new Date().toLocaleTimeString()}`);
      if (!waiting && board.wait === 0) await pause(3000);
    } catch (error) {
      if (generation !== board.pollGeneration) return;
      setStatus("Connection lost. Retrying…");
      await pause(5000);
    }
  }
}

function pause(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Forces a fresh read (after a decision, or a 412): the next poll returns 200 and re-renders. */
function reload() {
  board.etag = null;
  startPolling();
}

// --- Rendering -----------------------------------------------------------------------------------------

function badge(level) {
  return el("span", { class: `badge esi-${level}`, "aria-label": `ESI ${level}, ${LEVEL_NAMES[level]}` },
            `ESI ${level}`, el("small", {}, LEVEL_NAMES[level]));
}

/** Minutes waiting now, and whether reassessment is overdue, on the server's clock (snapshot + elapsed). */
function timing(row) {
  const elapsed = Date.now() - board.fetchedAt;
  const now = Date.parse(board.snapshot.generated_at) + elapsed;
  const minutes = row.minutes_waiting + Math.floor(elapsed / 60000);
  // Inclusive: the API's times are whole seconds, and a level reassessed continuously (ESI 1) is due at once.
  return { minutes, overdue: now >= Date.parse(row.reassessment_due) };
}

function waitCell(row) {
  const { minutes, overdue } = timing(row);
  return el("td", { class: `wait${overdue ? " overdue" : ""}` }, `${minutes} min`,
            overdue ? el("span", { class: "due" }, "⚠ Reassess overdue") : null);
}

/** The clinician's decision, the model's progress, a newer assessment's advice and any review alert. */
function stateCell(row) {
  const decider = row.decided_by ? el("span", { class: "decider" }, `by ${row.decided_by} (${row.decided_role})`) : null;
  const model = ["pending", "waiting"].includes(row.model_status)
    ? el("span", { class: "decider", title: row.model_note || "" },
         row.model_status === "pending" ? `model pending${row.model_note ? `: ${row.model_note}` : ""}`
           : `model waiting: ${row.model_note || ""}`)
    : null;
  const advisory = row.advisory ? el("span", { class: "advisory" }, row.advisory) : null;
  const review = row.review_level
    ? el("span", { class: "review", role: "alert" }, `⚠ Review: ESI ${row.review_level} suggested since the decision`)
    : null;
  return el("td", { class: `state state-${row.state}` }, STATE_TEXT[row.state] || row.state, decider, model,
            advisory, review);
}

function findingsList(findings) {
  return el("ul", { class: "findings" }, findings.map((finding) => el("li", {}, finding.summary)));
}

function renderRow(row) {
  const tr = el("tr", { tabindex: 0, "data-arrival-id": row.arrival_id, "data-state": row.state,
                        "aria-label": `ESI ${row.effective_level}, ${row.chief_complaint}, ${STATE_TEXT[row.state] || row.state}`
                          + (row.review_level ? `, review: ESI ${row.review_level} suggested` : "") },
    el("td", {}, badge(row.effective_level),
       row.effective_level !== row.proposed_level ? el("span", { class: "decider" }, `proposed ${row.proposed_level}`) : null),
    waitCell(row),
    el("td", {}, row.patient_ref, el("span", { class: "decider" }, `${ageText(row.age, row.age_band)} ${row.sex} · ${row.arrival_mode}`)),
    el("td", { class: "complaint" }, row.chief_complaint,
       row.images_note ? el("span", { class: "decider" }, `images: ${row.images_note}`) : null),
    el("td", { class: "findings-column" }, findingsList(row.top_findings.slice(0, 3)),
       row.intake_flags?.length ? el("span", { class: "flag" }, `⚑ check: ${row.intake_flags.map((f) => f.summary).join("; ")}`) : null),
    stateCell(row));
  if (board.selected === row.arrival_id) tr.classList.add("selected");
  tr.addEventListener("click", () => openDetail(row.arrival_id));
  tr.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") { event.preventDefault(); openDetail(row.arrival_id); }
  });
  return tr;
}

function ageText(age, band) {
  if (!age) return band || "";
  if (age.years !== undefined && age.years !== null) return `${age.years} y`;
  if (age.months !== undefined && age.months !== null) return `${age.months} mo`;
  return age.days !== undefined ? `${age.days} d` : "";
}

function renderBoard() {
  const rows = board.snapshot.rows;
  const focusedID = document.activeElement?.dataset?.arrivalId;
  $("rows").replaceChildren(...rows.map(renderRow));
  // Wall-screen rows (age band instead of age) carry no findings: the column would stay empty.
  $("worklist").classList.toggle("wall-view", rows.some((row) => row.age_band !== undefined));
  $("empty").hidden = rows.length > 0;
  $("worklist").dataset.revision = board.snapshot.revision;
  if (focusedID) document.querySelector(`tr[data-arrival-id="${focusedID}"]`)?.focus();
  if (board.selected !== null) {
    const row = currentRow(board.selected);
    if (row) renderActions(row); else closeDetail();
  }
}

function openPendingDetail() {
  if (board.pendingDetail !== null && currentRow(board.pendingDetail)) {
    openDetail(board.pendingDetail);
    board.pendingDetail = null;
  }
}

/** Refreshes minutes waiting and overdue alerts between polls without re-rendering the rows. */
function tick() {
  if (!board.snapshot || $("board").hidden) return;
  for (const row of board.snapshot.rows) {
    const tr = document.querySelector(`tr[data-arrival-id="${row.arrival_id}"]`);
    tr?.children[1].replaceWith(waitCell(row));
  }
}

function currentRow(arrivalID) {
  return board.snapshot?.rows.find((row) => row.arrival_id === arrivalID) || null;
}

// --- Detail panel and decisions ------------------------------------------------------------------------

async function openDetail(arrivalID) {
  const row = currentRow(arrivalID);
  if (!row) return;
  board.selected = arrivalID;
  document.querySelectorAll("tbody tr").forEach((tr) => tr.classList.toggle("selected", Number(tr.dataset.arrivalId) === arrivalID));
  $("detail").hidden = false;
  $("override-form").hidden = true;
  $("detail-title").textContent = `${row.patient_ref} — ${row.chief_complaint}`;
  renderActions(row);
  $("detail-body").replaceChildren(el("p", {}, row.explanation || ""), findingsList(row.top_findings));
  $("detail").focus();
  if (!canDecide()) {
    $("detail-body").append(el("p", { class: "hint" }, "The full explanation and history are for nurses and physicians."));
    return;
  }
  const response = await api("GET", `/v1/assessments/${row.assessment_id}`);
  if (board.selected !== arrivalID) return;
  if (!response.ok) {
    $("detail-body").append(el("p", { class: "flag" }, `Details unavailable: ${await problemText(response)}`));
    return;
  }
  renderDetail((await response.json()).assessment);
}

function renderDetail(assessment) {
  const body = $("detail-body");
  body.replaceChildren(
    el("h3", {}, "Explanation"), el("p", {}, assessment.explanation),
    el("h3", {}, "Rules findings"),
    el("ul", {}, assessment.findings.map((f) =>
      el("li", {}, f.summary, f.observed ? ` (observed ${f.observed}${f.threshold ? `, threshold ${f.threshold}` : ""})` : "",
         f.implied_level ? ` → ESI ${f.implied_level}` : "", el("span", { class: "decider" }, f.source)))),
    modelSection(assessment.model),
    el("h3", {}, "Versions"),
    el("dl", {}, el("dt", {}, "Scorer"), el("dd", {}, `${assessment.scorer.name} ${assessment.scorer.version}`),
       el("dt", {}, "Rules"), el("dd", {}, assessment.rules_version),
       el("dt", {}, "Rules level"), el("dd", {}, `ESI ${assessment.rules_level}`),
       el("dt", {}, "Phase"), el("dd", {}, assessment.phase),
       assessment.model?.identity ? [el("dt", {}, "Model"), el("dd", {}, `${assessment.model.identity.name} (${assessment.model.identity.backend})`)] : [],
       assessment.model?.prompt_version ? [el("dt", {}, "Prompt"), el("dd", {}, assessment.model.prompt_version)] : []),
    el("h3", {}, "Decision history"),
    assessment.decisions.length
      ? el("ol", {}, assessment.decisions.map((d) => el("li", {},
          `${new Date(d.decided_at).toLocaleTimeString()} · ${d.kind}${d.level ? ` ESI ${d.level}` : ""} by ${d.actor} (${d.role})`,
          d.reason ? ` — “${d.reason}”` : "",
          d.assessment_id !== assessment.id ? el("span", { class: "decider" }, `on an earlier assessment (#${d.assessment_id})`) : null)))
      : el("p", {}, "No decisions yet."),
    assessment.images_note ? el("p", { class: "hint" }, assessment.images_note) : null);
}

function modelSection(model) {
  if (!model) return el("p", { class: "hint" }, "No model configured: rules only.");
  const parts = [el("h3", {}, `Model (${model.status}${model.effect ? `, effect: ${model.effect}` : ""})`)];
  if (model.reason) parts.push(el("p", {}, model.reason));
  if (model.distribution) {
    parts.push(el("div", { class: "dist", "aria-label": "Model probability per ESI level" },
      model.distribution.flatMap((p, i) => [
        el("span", {}, `ESI ${i + 1}`),
        el("span", { class: `barfill esi-${i + 1}`, style: null, "data-width": p }),
        el("span", {}, `${Math.round(p * 100)}%`)])));
  }
  if (model.rationale) {
    parts.push(el("ul", {}, [...(model.rationale.reasons || []), ...(model.rationale.red_flags || []).map((f) => `Red flag: ${f}`)]
      .map((text) => el("li", {}, text))));
  } else if (model.rationale_error) {
    parts.push(el("p", { class: "hint" }, `No rationale: ${model.rationale_error}`));
  }
  const section = el("section", {}, parts);
  // Widths set through the CSSOM: the CSP forbids inline style attributes.
  section.querySelectorAll(".barfill").forEach((bar) => { bar.style.width = `${Math.max(1, bar.dataset.width * 100)}%`; });
  return section;
}

function renderActions(row) {
  const actions = $("detail-actions");
  if (!canDecide()) { actions.replaceChildren(); return; }
  const confirm = el("button", { type: "button", class: "primary action", "data-action": "confirm" }, `Confirm ESI ${row.proposed_level}`);
  const override = el("button", { type: "button", class: "action", "data-action": "override" }, "Override…");
  const discharge = el("button", { type: "button", class: "action", "data-action": "discharge" }, "Discharge");
  confirm.disabled = row.state !== "awaiting_confirmation";
  confirm.addEventListener("click", () => decide(row, "confirm"));
  override.addEventListener("click", () => {
    $("override-form").hidden = false;
    $("override-level").value = String(row.effective_level);
    $("override-reason").focus();
  });
  discharge.addEventListener("click", () => {
    if (window.confirm(`Discharge ${row.patient_ref} from the board?`)) decide(row, "discharge");
  });
  actions.replaceChildren(confirm, override, discharge);
}

/** Sends a decision with If-Match: the row's version. A 412 means the row changed: reload and say why. */
async function decide(row, kind, body) {
  const path = kind === "discharge" ? `/v1/arrivals/${row.arrival_id}/discharge`
                                    : `/v1/assessments/${row.assessment_id}/${kind}`;
  const response = await api("POST", path, { headers: { "If-Match": `"${row.version}"` }, body });
  if (response.ok) {
    showNotice(null);
    $("override-form").hidden = true;
    if (kind === "discharge") closeDetail();
  } else if (response.status === 412 || response.status === 409) {
    showNotice(`${row.patient_ref}: the row changed since you read it (a colleague decided, or new vitals re-triaged it). ` +
               "It has been reloaded: check it and decide again.");
  } else {
    showNotice(`${kindText(kind)} failed: ${await problemText(response)}`);
  }
  reload();
  if (board.selected === row.arrival_id && kind !== "discharge") openDetail(row.arrival_id);
}

function kindText(kind) {
  return kind[0].toUpperCase() + kind.slice(1);
}

function showNotice(text) {
  $("notice").hidden = !text;
  $("notice").textContent = text || "";
}

function closeDetail() {
  board.selected = null;
  $("detail").hidden = true;
  document.querySelectorAll("tbody tr.selected").forEach((tr) => tr.classList.remove("selected"));
}

// --- Wiring --------------------------------------------------------------------------------------------

function wire() {
  $("sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    signIn($("token-input").value.trim());
    $("token-input").value = "";
  });
  $("sign-out").addEventListener("click", () => showSignIn("Signed out."));
  $("department").addEventListener("change", (event) => showDepartment(event.target.value));
  $("detail-close").addEventListener("click", closeDetail);
  $("override-cancel").addEventListener("click", () => { $("override-form").hidden = true; });
  $("override-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const row = currentRow(board.selected);
    const reason = $("override-reason").value.trim();
    if (!row || !reason) { $("override-reason").focus(); return; }
    decide(row, "override", { level: Number($("override-level").value), reason });
    $("override-reason").value = "";
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !$("detail").hidden) closeDetail();
  });
  setInterval(tick, 30000);
}

wire();
readFragment();
const stored = sessionStorage.getItem(TOKEN_KEY);
if (stored) signIn(stored); else showSignIn();
