// The benchmark's load generator: simulates phones over real websockets with the same Socket.IO client the
// phone page uses (socket.io-client from package-lock.json), driven by bench/run.py over stdin/stdout.
//
//   node bench/loadgen.mjs '<json config>'
//
// config: {"urls": [server base URLs], "code": room code, "first": index of this worker's first phone,
//          "count": phones in this worker, "teamSize": N, "timeoutMs": per-step bound, "rampMs": spread
//          of the arrivals (0: all at once), "transport": "websocket" | "polling", "deflate": offer
//          permessage-deflate like a browser (default true)}
//
// Phone i talks to urls[i % urls.length] for its whole life (sticky, as behind a proxy with sticky sessions).
// Phone i with i % teamSize == 0 creates team "Team <i / teamSize>"; the next teamSize - 1 phones join it.
// A worker holds whole teams (the runner gives it a multiple of teamSize phones), so no worker waits on another.
//
// Commands (one JSON object per stdin line) and reports (one per stdout line):
//   {"cmd": "join"}                    -> {"type": "joined", ...}   every phone: GET the join page and its
//                                         assets, connect, join_workshop, create_team or join_team
//   {"cmd": "expect_card", "round": r} -> {"type": "armed"}, then {"type": "card", ...} once every joined phone
//                                         has a game_state with round r's card (or the step timed out)
//   {"cmd": "pick", "round": r,        -> {"type": "picked", ...}   every phone in a team sends submit_pick: all at
//    "spreadMs": s, "burst": b}           once (s = 0), or each at a random moment within s ms (as people tap);
//                                         "taps" holds each phone's time from its tap to its acknowledgement.
//                                         Burst b > 0: every phone changes its pick (the next response, or a
//                                         new text), as people who change their mind
//   {"cmd": "status"}                  -> {"type": "status", ...}   phones connected (in all and per server URL)
//                                         and connections dropped so far
//   {"cmd": "quit"}                    -> {"type": "bye", ...}      disconnect every phone and exit
// Times are wall-clock milliseconds since the epoch (the runner compares them with its own time.time()).

import http from "node:http";
import { createInterface } from "node:readline";
import { gunzipSync } from "node:zlib";
import { io } from "socket.io-client";

const config = JSON.parse(process.argv[2]);
const { urls, code, first, count, teamSize } = config;
const timeoutMs = config.timeoutMs ?? 120000;
const rampMs = config.rampMs ?? 0;
const transports = config.transport === "polling" ? ["polling", "websocket"] : ["websocket"];

function get(url, agent) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers: { "accept-encoding": "gzip" } }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const raw = Buffer.concat(chunks);
        const body = res.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw;
        resolve({ status: res.statusCode, body: body.toString() });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}

const now = () => performance.timeOrigin + performance.now();
const send = (msg) => process.stdout.write(JSON.stringify(msg) + "\n");
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function withTimeout(promise, what) {
  let timer;
  const bound = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timeout: ${what}`)), timeoutMs);
  });
  return Promise.race([promise, bound]).finally(() => clearTimeout(timer));
}

async function ack(socket, event, payload) {
  const answer = await socket.timeout(timeoutMs).emitWithAck(event, payload);
  if (!answer || answer.ok !== true) {
    const err = (answer && answer.error) || {};
    throw new Error(`${event}: ${err.code || "no answer"}`);
  }
  return answer;
}

class Phone {
  constructor(index) {
    this.index = index;
    this.url = urls[index % urls.length];
    this.socket = null;
    this.token = null;
    this.disconnects = 0;
    this.teamId = null;
    this.views = 0; // game_state messages received
    this.lastView = null;
    this.cardAt = new Map(); // round -> when the first game_state with that round's card arrived
    this.waiter = null;
  }

  // A phone opens the QR code's link: the page, then the scripts, style sheet and icon it names, over its own
  // keep-alive connections (at most 6, as a browser), which it closes once the page is loaded: the memory
  // figure is then that of the phone's socket, not of idle HTTP connections.
  async loadPage() {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 6 });
    try {
      const page = await get(`${this.url}/j/${code}`, agent);
      if (page.status !== 200) throw new Error(`join page: HTTP ${page.status}`);
      const assets = [...page.body.matchAll(/<(?:script[^>]*\ssrc|link[^>]*\shref)="(\/[^"]+)"/g)].map((m) => m[1]);
      await Promise.all(
        assets.map(async (path) => {
          const r = await get(this.url + path, agent);
          if (r.status !== 200) throw new Error(`asset ${path}: HTTP ${r.status}`);
        }),
      );
    } finally {
      agent.destroy();
    }
  }

  connect() {
    return new Promise((resolve, reject) => {
      const socket = io(this.url, {
        // like the phone page: the token (once joined) goes with every (re)connection
        auth: (cb) => cb({ role: "player", code, token: this.token }),
        transports,
        forceNew: true, // one connection per phone, never multiplexed
        reconnectionDelayMax: 4000,
        timeout: timeoutMs,
        perMessageDeflate: config.deflate === false ? false : { threshold: 1024 }, // browsers always offer it
      });
      this.socket = socket;
      socket.on("game_state", (view) => this.onView(view));
      socket.on("disconnect", () => (this.disconnects += 1));
      socket.once("connect", () => resolve());
      socket.once("connect_error", (err) => {
        if (err.data && err.data.code) reject(new Error(`connect: ${err.data.code}`)); // refused: no retry helps
        // otherwise network trouble: Socket.IO keeps trying, within the step's bound
      });
    });
  }

  onView(view) {
    this.views += 1;
    this.lastView = view;
    const w = view && view.workshop;
    if (w && view.card && w.phase === "collecting" && !this.cardAt.has(w.round)) {
      this.cardAt.set(w.round, now());
      if (this.waiter && this.waiter.round === w.round) this.waiter.resolve();
    }
  }

  waitCard(round) {
    if (this.cardAt.has(round)) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiter = { round, resolve };
    });
  }
}

const phones = Array.from({ length: count }, (_, k) => new Phone(first + k));
const teams = new Map(); // team number -> promise of its id (the creator's create_team ack)

async function joinOne(phone) {
  const start = now();
  const steps = {};
  let step = "page";
  try {
    await withTimeout(phone.loadPage(), "join page");
    steps.page = now() - start;
    step = "connect";
    await withTimeout(phone.connect(), "connect");
    steps.connect = now() - start;
    step = "join_workshop";
    const joinedAs = await ack(phone.socket, "join_workshop", { name: `Phone ${String(phone.index).padStart(4, "0")}` });
    phone.token = joinedAs.token;
    steps.join_workshop = now() - start;
    const team = Math.floor(phone.index / teamSize);
    if (phone.index % teamSize === 0) {
      step = "create_team";
      const created = ack(phone.socket, "create_team", { name: `Team ${String(team).padStart(4, "0")}` }).then(
        (a) => a.team_id,
      );
      teams.get(team).resolve(created);
      phone.teamId = await created;
    } else {
      step = "join_team";
      const teamId = await withTimeout(teams.get(team).promise, "the team's creator");
      await ack(phone.socket, "join_team", { team_id: teamId });
      phone.teamId = teamId;
    }
    steps.team = now() - start;
    return { ok: true, start, end: now(), steps };
  } catch (error) {
    if (phone.index % teamSize === 0) teams.get(Math.floor(phone.index / teamSize))?.resolve(Promise.reject(error));
    return { ok: false, start, end: now(), step, error: String(error.message || error) };
  }
}

async function join() {
  for (const phone of phones) {
    const team = Math.floor(phone.index / teamSize);
    if (!teams.has(team)) {
      let resolve;
      const promise = new Promise((r) => (resolve = r));
      promise.catch(() => {});
      teams.set(team, { promise, resolve });
    }
  }
  const cpu = process.cpuUsage();
  const t0 = now();
  const results = await Promise.all(
    phones.map(async (phone, k) => {
      if (rampMs > 0) await sleep((rampMs * k) / count);
      return joinOne(phone);
    }),
  );
  const errors = {};
  for (const r of results) if (!r.ok) errors[`${r.step}: ${r.error}`] = (errors[`${r.step}: ${r.error}`] || 0) + 1;
  send({
    type: "joined",
    started: t0,
    ended: now(),
    ok: results.filter((r) => r.ok).length,
    failed: results.filter((r) => !r.ok).length,
    errors,
    durations: results.filter((r) => r.ok).map((r) => r.end - r.start),
    page: results.filter((r) => r.ok).map((r) => r.steps.page),
    views: phones.reduce((n, p) => n + p.views, 0),
    connected: phones.filter((p) => p.socket && p.socket.connected).length,
    connectedByUrl: byUrl(phones.filter((p) => p.socket && p.socket.connected)),
    disconnects: phones.reduce((n, p) => n + p.disconnects, 0),
    cpu: cpuSince(cpu),
  });
}

function cpuSince(before) {
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000; // ms
}

function joined() {
  return phones.filter((p) => p.teamId !== null && p.socket && p.socket.connected);
}

async function expectCard(round) {
  const cpu = process.cpuUsage();
  const waiting = joined();
  const views = phones.reduce((n, p) => n + p.views, 0);
  send({ type: "armed", round });
  const results = await Promise.all(
    waiting.map((p) =>
      withTimeout(p.waitCard(round), "card").then(
        () => true,
        () => false,
      ),
    ),
  );
  send({
    type: "card",
    round,
    times: waiting.filter((p, k) => results[k]).map((p) => p.cardAt.get(round)),
    missing: results.filter((ok) => !ok).length,
    views: phones.reduce((n, p) => n + p.views, 0) - views,
    disconnects: phones.reduce((n, p) => n + p.disconnects, 0),
    cpu: cpuSince(cpu),
  });
}

async function pick(round, spreadMs, burst) {
  const cpu = process.cpuUsage();
  const players = joined();
  const views = phones.reduce((n, p) => n + p.views, 0);
  const started = now();
  const results = await Promise.all(
    players.map(async (p) => {
      if (spreadMs > 0) await sleep(Math.random() * spreadMs); // this phone's person taps now
      const card = p.lastView && p.lastView.card;
      try {
        if (!card || p.lastView.workshop.round !== round) throw new Error("no card for this round");
        // a choice card: one of its responses; an open card (no responses): a short answer in the phone's words
        const choice = card.responses && card.responses.length
          ? { response_id: card.responses[(p.index + burst) % card.responses.length].id }
          : { text: `Phone ${p.index} would call the guest back today` + (burst ? ` (${burst + 1})` : "") };
        const tap = now();
        await ack(p.socket, "submit_pick", {
          round,
          ...choice,
          pick_id: `bench-${p.index}-${round}` + (burst ? `-${burst}` : ""),
          seq: Math.floor(tap),
        });
        const at = now();
        return { ok: true, at, tap: at - tap };
      } catch (error) {
        return { ok: false, error: String(error.message || error) };
      }
    }),
  );
  const errors = {};
  for (const r of results) if (!r.ok) errors[r.error] = (errors[r.error] || 0) + 1;
  send({
    type: "picked",
    round,
    started,
    acks: results.filter((r) => r.ok).map((r) => r.at),
    taps: results.filter((r) => r.ok).map((r) => r.tap),
    failed: results.filter((r) => !r.ok).length,
    errors,
    views: phones.reduce((n, p) => n + p.views, 0) - views,
    disconnects: phones.reduce((n, p) => n + p.disconnects, 0),
    cpu: cpuSince(cpu),
  });
}

function byUrl(list) {
  const counts = Object.fromEntries(urls.map((u) => [u, 0]));
  for (const p of list) counts[p.url] += 1;
  return counts;
}

async function status() {
  const connected = phones.filter((p) => p.socket && p.socket.connected);
  send({
    type: "status",
    connected: connected.length,
    connectedByUrl: byUrl(connected),
    disconnects: phones.reduce((n, p) => n + p.disconnects, 0),
  });
}

async function quit() {
  const connected = phones.filter((p) => p.socket && p.socket.connected).length;
  const drops = phones.reduce((n, p) => n + p.disconnects, 0); // before our own goodbyes below
  for (const p of phones) if (p.socket) p.socket.disconnect();
  send({
    type: "bye",
    connected,
    disconnects: drops,
    lateRejections,
    cpu: process.cpuUsage(),
  });
  await sleep(100);
  process.exit(0);
}

const handlers = {
  join: () => join(),
  expect_card: (msg) => expectCard(msg.round),
  pick: (msg) => pick(msg.round, msg.spreadMs ?? 0, msg.burst ?? 0),
  status: () => status(),
  quit: () => quit(),
};

// A promise rejected with nobody waiting any more (an acknowledgement cut off by a dropped connection after its
// step already failed): counted, never fatal.
let lateRejections = 0;
process.on("unhandledRejection", (reason) => {
  lateRejections += 1;
  if (lateRejections === 1) process.stderr.write(`loadgen: unhandled rejection: ${reason && reason.stack}\n`);
});

createInterface({ input: process.stdin }).on("line", (line) => {
  if (!line.trim()) return;
  const msg = JSON.parse(line);
  const handler = handlers[msg.cmd];
  if (!handler) {
    send({ type: "error", error: `unknown command ${msg.cmd}` });
    return;
  }
  handler(msg).catch((error) => send({ type: "error", error: String(error.stack || error) }));
});
process.stdin.on("end", () => process.exit(0));
send({ type: "ready", phones: count });
