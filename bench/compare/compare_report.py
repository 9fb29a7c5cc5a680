#!/usr/bin/python3
"""Records and tabulates the runs of bench/compare/run.sh (ringmq vs mosquitto).

Subcommands (stdlib only):
  record  read one ringmq-bench stdout on stdin, add the run's labels and append one JSON line
  value   print one field of the best run of a case (e.g. mosquitto's saturation rate)
  table   print the Markdown tables: ratios ringmq/mosquitto and the absolute numbers

Each run is one JSON line: the ringmq-bench JSON plus case, title, section, broker, rep, exit,
broker_peak_rss_kb (VmHWM of the broker, which is started fresh for every run), for overload
runs baseline (the case giving the sustainable rate to compare with), and for latency-bounded runs
window (the --e2e_window of that run: run.sh tries smaller windows until p99 is within the bound).
The access section (run.sh --access) holds QoS 0 pairs rows open and with a password file + ACL (the
latter with baseline = the open case) and connect-storm rows (scenario conn). The transports section
(run.sh --transports) holds QoS 0 pairs over tcp, tls, ws and wss, TLS connect rows (full handshakes,
resumed) and the plain-TCP connect storm; a run whose broker refused the listener URL carries
"unavailable" (why) instead of figures and shows as "not available".
"""

from __future__ import annotations

import argparse
import json
import math
import sys

BROKERS = ("ringmq", "mosquitto")
SECTIONS = ("sustainable", "bounded", "connections", "latency", "overload", "access", "transports")
P99_BOUND_US = 5000  # the latency bound for sustainable rates
ACL_TARGET = 0.90  # issue 11: ringmq with ACL on keeps >= 90 % of its QoS 0 pairs rate with ACL off
# Issue 10's transport targets.
TLS_PAIRS_TARGET = 10.0     # ringmq's TLS QoS 0 pairs rate >= 10x mosquitto's
TLS_RSS_TARGET = 0.5        # RSS per idle TLS connection <= half of mosquitto's
WS_SHARE_TARGET = 0.80      # ringmq's WebSocket pairs rate >= 80 % of its plain-TCP rate
STORM_TARGET = 1.5          # plain-TCP connect storm >= 1.5x mosquitto
RESUMED_TARGET = 3.0        # resumed handshakes per broker CPU-s >= 3x full ones


def load_runs(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def within_bound(run: dict) -> bool:
    """A latency-bounded run that counts: clean, lossless, p99 within P99_BOUND_US."""
    return (run["p99_us"] <= P99_BOUND_US and not run.get("lost") and not run.get("failed")
            and not run.get("errors") and not run.get("exit"))


def best_run(runs: list[dict], case: str, broker: str) -> dict | None:
    """The repetition that went best: fewest failures, then the case's own figure of merit."""
    candidates = [r for r in runs if r["case"] == case and r["broker"] == broker and "received_per_s" in r]
    if not candidates:
        return None
    section = candidates[0]["section"]
    if section == "bounded":
        # The highest rate among the runs within the bound; if none is, the one closest to it.
        merit = lambda r: (within_bound(r), r["received_per_s"] if within_bound(r) else -r["p99_us"])  # noqa: E731
    elif section == "latency":
        merit = lambda r: (-r["failed"] - r["errors"], -r["p99_us"])  # noqa: E731
    elif section == "connections":
        merit = lambda r: (r["connected"], r["connects_per_s"])  # noqa: E731
    elif candidates[0].get("scenario") == "conn":  # access section's connect storms: CPU cost is the figure
        merit = lambda r: (r["connected"], r.get("connects_per_broker_cpu_s", 0))  # noqa: E731
    else:
        merit = lambda r: (-r["failed"], r["received_per_s"])  # noqa: E731
    return max(candidates, key=merit)


# ------------------------------------------------------------------------------------------------
# record

def command_record(args: argparse.Namespace) -> int:
    stdout = sys.stdin.read()
    found = [line for line in stdout.splitlines() if line.startswith('{"scenario":')]
    run = json.loads(found[-1]) if found else {"error": "no JSON line from ringmq-bench"}
    if args.unavailable:
        run = {"error": args.unavailable, "unavailable": args.unavailable}
    run.update(case=args.case, title=args.title, section=args.section, broker=args.broker, rep=args.rep,
               exit=args.exit)
    run["command"] = args.command_line
    if args.peak_rss_kb is not None:
        run["broker_peak_rss_kb"] = args.peak_rss_kb
    if args.baseline:
        run["baseline"] = args.baseline
    if args.offered_per_s is not None:
        run["offered_per_s"] = args.offered_per_s
    if args.window is not None:
        run["window"] = args.window
    with open(args.out, "a", encoding="utf-8") as out:
        out.write(json.dumps(run, separators=(",", ":")) + "\n")
    return 0


# ------------------------------------------------------------------------------------------------
# value

def command_value(args: argparse.Namespace) -> int:
    run = best_run(load_runs(args.file), args.case, args.broker)
    if run is None or args.field not in run:
        print(f"compare_report: no {args.field} for {args.case} on {args.broker}", file=sys.stderr)
        return 1
    print(run[args.field])
    return 0


# ------------------------------------------------------------------------------------------------
# table

def count(value: float | None) -> str:
    """1234567 -> '1.23 M', 12345 -> '12.3 k'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    for limit, unit in ((1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:.3g} {unit}"
    return f"{value:.3g}"


def ms(us: float | None) -> str:
    return "n/a" if us is None else f"{us / 1000:.2f} ms"


def mib(kb: float | None) -> str:
    return "n/a" if kb is None else f"{kb / 1024:.1f} MiB"


def ratio(ours: float | None, theirs: float | None) -> str:
    if ours is None or theirs is None or theirs == 0:
        return "n/a"
    return f"**{ours / theirs:.2f}x**"


def field(run: dict | None, name: str) -> float | None:
    return None if run is None else run.get(name)


def loss_note(run: dict | None) -> str:
    """Lost / errors / exit status of a run, or '' when it was clean."""
    if run is None:
        return "no result"
    notes = []
    if run.get("failed"):
        notes.append(f"{run['failed']} failed connects")
    if run.get("lost"):
        notes.append(f"{run['lost']} lost")
    if run.get("dup"):
        notes.append(f"{run['dup']} dup")
    if run.get("errors"):
        notes.append(f"{run['errors']} errors")
    if run.get("exit"):
        notes.append(f"exit {run['exit']}")
    return ", ".join(notes)


def cases_of(runs: list[dict], section: str) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for run in runs:
        if run["section"] == section:
            seen.setdefault(run["case"], run["title"])
    return list(seen.items())


def notes_cell(pair: dict[str, dict | None]) -> str:
    notes = [f"{b}: {loss_note(pair[b])}" for b in BROKERS if loss_note(pair[b])]
    return "; ".join(notes) if notes else "clean"


def throughput_rows(runs: list[dict], cases: list[tuple[str, str]]) -> list[str]:
    """Rate, rate per broker CPU-second and p99 of both brokers, one row per case."""
    out = ["| scenario | msg/s ringmq | msg/s mosquitto | ratio | msg per broker CPU-s ringmq "
           "| msg per broker CPU-s mosquitto | ratio | p99 ringmq | p99 mosquitto | loss, errors |",
           "|---|--:|--:|--:|--:|--:|--:|--:|--:|---|"]
    for case, title in cases:
        pair = {b: best_run(runs, case, b) for b in BROKERS}
        rate = {b: field(pair[b], "received_per_s") for b in BROKERS}
        cpu = {b: field(pair[b], "msgs_per_broker_cpu_s") for b in BROKERS}
        p99 = {b: field(pair[b], "p99_us") for b in BROKERS}
        out.append(f"| {title} | {count(rate['ringmq'])} | {count(rate['mosquitto'])} "
                   f"| {ratio(rate['ringmq'], rate['mosquitto'])} | {count(cpu['ringmq'])} "
                   f"| {count(cpu['mosquitto'])} | {ratio(cpu['ringmq'], cpu['mosquitto'])} "
                   f"| {ms(p99['ringmq'])} | {ms(p99['mosquitto'])} | {notes_cell(pair)} |")
    return out


def sustainable_table(runs: list[dict]) -> list[str]:
    return (["### Sustainable throughput (`--e2e_window`: lossless, publishers pause on undelivered messages)", ""]
            + throughput_rows(runs, cases_of(runs, "sustainable")))


def bounded_cell(run: dict | None) -> str:
    """'1.23 M (window 20, p99 4.10 ms)', or why no run counts."""
    if run is None:
        return "no result"
    if not within_bound(run):
        return f"none within {ms(P99_BOUND_US)} (best p99 {ms(run['p99_us'])} at window {run.get('window')})"
    return f"{count(run['received_per_s'])} (window {run.get('window')}, p99 {ms(run['p99_us'])})"


def bounded_table(runs: list[dict]) -> list[str]:
    out = [f"### Highest lossless rate with p99 ≤ {ms(P99_BOUND_US)} (windows tried from large to small "
           "until p99 is within the bound)", "",
           "| scenario | ringmq | mosquitto | ratio |",
           "|---|--:|--:|--:|"]
    for case, title in cases_of(runs, "bounded"):
        pair = {b: best_run(runs, case, b) for b in BROKERS}
        rate = {b: field(pair[b], "received_per_s") if pair[b] and within_bound(pair[b]) else None
                for b in BROKERS}
        out.append(f"| {title} | {bounded_cell(pair['ringmq'])} | {bounded_cell(pair['mosquitto'])} "
                   f"| {ratio(rate['ringmq'], rate['mosquitto'])} |")
    return out


def rss_per_connection_bytes(run: dict | None) -> float | None:
    per_conn_kb = field(run, "broker_rss_per_conn_kb")
    return None if per_conn_kb is None else per_conn_kb * 1024


def connections_table(runs: list[dict]) -> list[str]:
    out = ["### Connections (opened as fast as accepted, then held idle)", "",
           "| scenario | connects/s ringmq | connects/s mosquitto | ratio | connects per broker CPU-s ringmq "
           "| connects per broker CPU-s mosquitto | ratio | RSS per idle connection ringmq "
           "| RSS per idle connection mosquitto | ratio (lower is better) | failures |",
           "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|"]
    for case, title in cases_of(runs, "connections"):
        pair = {b: best_run(runs, case, b) for b in BROKERS}
        rate = {b: field(pair[b], "connects_per_s") for b in BROKERS}
        cpu = {b: field(pair[b], "connects_per_broker_cpu_s") for b in BROKERS}
        rss = {b: rss_per_connection_bytes(pair[b]) for b in BROKERS}
        rss_text = {b: "n/a" if rss[b] is None else f"{rss[b]:.0f} B" for b in BROKERS}
        out.append(f"| {title} | {count(rate['ringmq'])} | {count(rate['mosquitto'])} "
                   f"| {ratio(rate['ringmq'], rate['mosquitto'])} | {count(cpu['ringmq'])} | {count(cpu['mosquitto'])} "
                   f"| {ratio(cpu['ringmq'], cpu['mosquitto'])} | {rss_text['ringmq']} | {rss_text['mosquitto']} "
                   f"| {ratio(rss['ringmq'], rss['mosquitto'])} | {notes_cell(pair)} |")
    return out


def latency_table(runs: list[dict]) -> list[str]:
    out = ["### Latency at a fixed offered load (half of mosquitto's sustainable rate measured above)", "",
           "| scenario | offered msg/s | delivered ringmq | delivered mosquitto | p50 ringmq | p50 mosquitto "
           "| p99 ringmq | p99 mosquitto | p99 ratio (lower is better) | msg per broker CPU-s ratio | loss, errors |",
           "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|"]
    for case, title in cases_of(runs, "latency"):
        pair = {b: best_run(runs, case, b) for b in BROKERS}
        offered = field(pair["ringmq"] or pair["mosquitto"], "offered_per_s")
        rate = {b: field(pair[b], "received_per_s") for b in BROKERS}
        p50 = {b: field(pair[b], "p50_us") for b in BROKERS}
        p99 = {b: field(pair[b], "p99_us") for b in BROKERS}
        cpu = {b: field(pair[b], "msgs_per_broker_cpu_s") for b in BROKERS}
        out.append(f"| {title} | {count(offered)} | {count(rate['ringmq'])} | {count(rate['mosquitto'])} "
                   f"| {ms(p50['ringmq'])} | {ms(p50['mosquitto'])} | {ms(p99['ringmq'])} | {ms(p99['mosquitto'])} "
                   f"| {ratio(p99['ringmq'], p99['mosquitto'])} | {ratio(cpu['ringmq'], cpu['mosquitto'])} "
                   f"| {notes_cell(pair)} |")
    return out


def share_of_baseline(runs: list[dict], run: dict | None, broker: str) -> str:
    if run is None or not run.get("baseline"):
        return "n/a"
    baseline = best_run(runs, run["baseline"], broker)
    sustainable = field(baseline, "received_per_s")
    if not sustainable:
        return "n/a"
    return f"{100 * run['received_per_s'] / sustainable:.0f} %"


def peak_rss_kb(run: dict | None) -> float | None:
    """VmHWM lags VmRSS by the kernel's batched RSS counters: take the larger of the two samples."""
    samples = [field(run, name) for name in ("broker_peak_rss_kb", "broker_rss_kb")]
    samples = [s for s in samples if s is not None]
    return max(samples) if samples else None


def overload_table(runs: list[dict]) -> list[str]:
    out = ["### Overload (QoS 0, no window, no rate limit: publishers send as fast as the broker reads)", "",
           "| scenario | delivered msg/s ringmq | of sustainable | peak RSS ringmq | delivered msg/s mosquitto "
           "| of sustainable | peak RSS mosquitto | delivered ratio | lost, errors |",
           "|---|--:|--:|--:|--:|--:|--:|--:|---|"]
    for case, title in cases_of(runs, "overload"):
        pair = {b: best_run(runs, case, b) for b in BROKERS}
        rate = {b: field(pair[b], "received_per_s") for b in BROKERS}
        peak = {b: peak_rss_kb(pair[b]) for b in BROKERS}
        share = {b: share_of_baseline(runs, pair[b], b) for b in BROKERS}
        out.append(f"| {title} | {count(rate['ringmq'])} | {share['ringmq']} | {mib(peak['ringmq'])} "
                   f"| {count(rate['mosquitto'])} | {share['mosquitto']} | {mib(peak['mosquitto'])} "
                   f"| {ratio(rate['ringmq'], rate['mosquitto'])} | {notes_cell(pair)} |")
    return out


def percent(part: float | None, whole: float | None) -> str:
    if part is None or not whole:
        return "n/a"
    return f"{100 * part / whole:.0f} %"


def access_cases(runs: list[dict], scenario: str) -> list[tuple[str, str]]:
    cases = {r["case"] for r in runs if r["section"] == "access" and r.get("scenario") == scenario}
    return [(case, title) for case, title in cases_of(runs, "access") if case in cases]


def access_throughput_rows(runs: list[dict]) -> list[str]:
    return throughput_rows(runs, access_cases(runs, "pairs"))


def acl_cost_rows(runs: list[dict]) -> list[str]:
    """Each broker's ACL-on rate as a share of its own ACL-off rate, both from the same run.sh run."""
    out = ["| broker | scenario | msg/s ACL off | msg/s ACL on | on / off | msg per broker CPU-s on / off "
           "| msg per broker CPU-s on / off, each repetition |",
           "|---|---|--:|--:|--:|--:|--:|"]
    for case, title in access_cases(runs, "pairs"):
        for broker in BROKERS:
            on = best_run(runs, case, broker)
            if on is None or not on.get("baseline"):
                continue
            off = best_run(runs, on["baseline"], broker)
            share = percent(field(on, "received_per_s"), field(off, "received_per_s"))
            if broker == "ringmq" and share != "n/a":
                met = on["received_per_s"] >= ACL_TARGET * off["received_per_s"]
                share += f" (target ≥ {ACL_TARGET:.0%}: {'met' if met else 'missed'})"
            out.append(f"| {broker} | {title} | {count(field(off, 'received_per_s'))} "
                       f"| {count(field(on, 'received_per_s'))} | {share} "
                       f"| {percent(field(on, 'msgs_per_broker_cpu_s'), field(off, 'msgs_per_broker_cpu_s'))} "
                       f"| {paired_cpu_shares(runs, case, on['baseline'], broker)} |")
    return out


def paired_cpu_shares(runs: list[dict], case: str, baseline: str, broker: str) -> str:
    """The ACL-on run of each repetition against the ACL-off run it was paired with (run back to back):
    CPU per message is what the broker itself pays, and pairing keeps the machine's load alike."""
    def by_rep(name: str) -> dict[int, dict]:
        return {r["rep"]: r for r in runs if r["case"] == name and r["broker"] == broker and "received_per_s" in r}
    on, off = by_rep(case), by_rep(baseline)
    shares = [percent(field(on[rep], "msgs_per_broker_cpu_s"), field(off[rep], "msgs_per_broker_cpu_s"))
              for rep in sorted(on.keys() & off.keys())]
    return ", ".join(shares) if shares else "n/a"


def access_connect_rows(runs: list[dict]) -> list[str]:
    out = ["| scenario | connects/s ringmq | connects/s mosquitto | ratio | connects per broker CPU-s ringmq "
           "| connects per broker CPU-s mosquitto | ratio | failures |",
           "|---|--:|--:|--:|--:|--:|--:|---|"]
    for case, title in access_cases(runs, "conn"):
        pair = {b: best_run(runs, case, b) for b in BROKERS}
        rate = {b: field(pair[b], "connects_per_s") for b in BROKERS}
        cpu = {b: field(pair[b], "connects_per_broker_cpu_s") for b in BROKERS}
        out.append(f"| {title} | {count(rate['ringmq'])} | {count(rate['mosquitto'])} "
                   f"| {ratio(rate['ringmq'], rate['mosquitto'])} | {count(cpu['ringmq'])} | {count(cpu['mosquitto'])} "
                   f"| {ratio(cpu['ringmq'], cpu['mosquitto'])} | {notes_cell(pair)} |")
    return out


def access_table(runs: list[dict]) -> list[str]:
    out = ["### Access control (password file + 100-rule ACL, the same files for both brokers)", ""]
    if access_cases(runs, "pairs"):
        out += ["Sustainable throughput (`--e2e_window`: lossless, publishers pause on undelivered messages):", ""]
        out += access_throughput_rows(runs) + [""]
        out += ["What the ACL costs each broker (best ACL-on run against best ACL-off run of the same invocation):",
                ""]
        out += acl_cost_rows(runs) + [""]
    if access_cases(runs, "conn"):
        out += ["Connect storms (opened as fast as accepted; password hashing included in the broker CPU time):", ""]
        out += access_connect_rows(runs) + [""]
    return out[:-1]


# ------------------------------------------------------------------------------------------------
# transports

def unavailable_run(runs: list[dict], case: str, broker: str) -> dict | None:
    return next((r for r in runs if r["case"] == case and r["broker"] == broker and r.get("unavailable")), None)


def transport_cell(runs: list[dict], case: str, broker: str, name: str, show=count) -> str:
    run = best_run(runs, case, broker)
    if run is None:
        return "not available" if unavailable_run(runs, case, broker) else "no result"
    note = loss_note(run)
    return show(run.get(name)) + (f" ({note})" if note else "")


def target_cell(value: float | None, target: float, higher_is_better: bool = True, unit: str = "x") -> str:
    if value is None:
        return "n/a"
    met = value >= target if higher_is_better else value <= target
    shown = f"{value:.2f}x" if unit == "x" else f"{100 * value:.0f} %"
    goal = f"{target:.2f}x" if unit == "x" else f"{100 * target:.0f} %"
    return f"**{shown}** (target {'≥' if higher_is_better else '≤'} {goal}: {'met' if met else 'missed'})"


def quotient(runs: list[dict], num: tuple[str, str], den: tuple[str, str], name: str) -> float | None:
    """field `name` of the best run of num (case, broker) divided by that of den."""
    a, b = (field(best_run(runs, case, broker), name) for case, broker in (num, den))
    return a / b if a is not None and b else None


def transport_pairs_rows(runs: list[dict]) -> list[str]:
    out = ["| transport, conditions | msg/s ringmq | msg/s mosquitto | ringmq / mosquitto | msg per broker CPU-s ringmq "
           "| msg per broker CPU-s mosquitto | ringmq: share of its TCP rate | mosquitto: share of its TCP rate |",
           "|---|--:|--:|--:|--:|--:|--:|--:|"]
    for case, title in cases_of(runs, "transports"):
        if not case.startswith("pairs-"):
            continue
        transport = case.rsplit("-", 1)[1]
        vs = quotient(runs, (case, "ringmq"), (case, "mosquitto"), "received_per_s")
        ratio_text = target_cell(vs, TLS_PAIRS_TARGET) if transport == "tls" else (
            "n/a" if vs is None else f"**{vs:.2f}x**")
        shares = {}
        for b in BROKERS:
            share = quotient(runs, (case, b), ("pairs-q0-64-tcp", b), "received_per_s")
            if transport == "tcp":
                shares[b] = "-"
            elif b == "ringmq" and transport == "ws":
                shares[b] = target_cell(share, WS_SHARE_TARGET, unit="%")
            else:
                shares[b] = "n/a" if share is None else f"{100 * share:.0f} %"
        out.append(f"| {title} | {transport_cell(runs, case, 'ringmq', 'received_per_s')} "
                   f"| {transport_cell(runs, case, 'mosquitto', 'received_per_s')} | {ratio_text} "
                   f"| {transport_cell(runs, case, 'ringmq', 'msgs_per_broker_cpu_s')} "
                   f"| {transport_cell(runs, case, 'mosquitto', 'msgs_per_broker_cpu_s')} "
                   f"| {shares['ringmq']} | {shares['mosquitto']} |")
    return out


def handshakes(run: dict | None) -> str:
    if run is None:
        return "n/a"
    return f"{run.get('tls_full_handshakes', 0)} full / {run.get('tls_resumed', 0)} resumed"


def transport_connect_rows(runs: list[dict]) -> list[str]:
    out = ["| connections, conditions | connects/s ringmq | connects/s mosquitto | ratio "
           "| connects per broker CPU-s ringmq | connects per broker CPU-s mosquitto | ratio "
           "| handshakes ringmq | handshakes mosquitto |",
           "|---|--:|--:|--:|--:|--:|--:|---|---|"]
    for case, title in cases_of(runs, "transports"):
        if case.startswith("pairs-"):
            continue
        rate = quotient(runs, (case, "ringmq"), (case, "mosquitto"), "connects_per_s")
        cpu = quotient(runs, (case, "ringmq"), (case, "mosquitto"), "connects_per_broker_cpu_s")
        rate_text = target_cell(rate, STORM_TARGET) if case.startswith("tcp-connect-storm") else (
            "n/a" if rate is None else f"**{rate:.2f}x**")
        handshake = {b: handshakes(best_run(runs, case, b)) if case.startswith("tls") else "-" for b in BROKERS}
        out.append(f"| {title} | {transport_cell(runs, case, 'ringmq', 'connects_per_s')} "
                   f"| {transport_cell(runs, case, 'mosquitto', 'connects_per_s')} | {rate_text} "
                   f"| {transport_cell(runs, case, 'ringmq', 'connects_per_broker_cpu_s')} "
                   f"| {transport_cell(runs, case, 'mosquitto', 'connects_per_broker_cpu_s')} "
                   f"| {'n/a' if cpu is None else f'**{cpu:.2f}x**'} | {handshake['ringmq']} | {handshake['mosquitto']} |")
    return out


def transport_summary_rows(runs: list[dict]) -> list[str]:
    """The issue's per-broker figures: resumed vs full handshakes, RSS per idle TLS connection."""
    out = ["| figure | ringmq | mosquitto | target |", "|---|--:|--:|---|"]
    resumed = {b: quotient(runs, ("tls-connect-resumed", b), ("tls-connect-full", b), "connects_per_broker_cpu_s")
               for b in BROKERS}
    out.append("| resumed / full TLS connects per broker CPU-s | "
               + " | ".join("n/a" if resumed[b] is None else f"{resumed[b]:.2f}x" for b in BROKERS)
               + f" | ringmq: {target_cell(resumed['ringmq'], RESUMED_TARGET)} |")
    rss = {b: rss_per_connection_bytes(best_run(runs, "tls-connect-full", b)) for b in BROKERS}
    rss_ratio = rss["ringmq"] / rss["mosquitto"] if rss["ringmq"] is not None and rss["mosquitto"] else None
    out.append("| RSS per idle TLS connection (full-handshake row) | "
               + " | ".join("not available" if rss[b] is None else f"{rss[b]:.0f} B" for b in BROKERS)
               + f" | {target_cell(rss_ratio, TLS_RSS_TARGET, higher_is_better=False)} |")
    return out


def transports_table(runs: list[dict]) -> list[str]:
    out = ["### Transports: TLS and WebSocket (the same certificate for both brokers)", "",
           "QoS 0 pairs, sustainable (`--e2e_window`):", ""]
    out += transport_pairs_rows(runs) + ["", "Connections (opened as fast as accepted, then held idle):", ""]
    out += transport_connect_rows(runs) + [""]
    out += transport_summary_rows(runs)
    # One line per broker and listener kind (the refusal quotes a port that differs per run).
    unavailable: dict[tuple[str, str], str] = {}
    for r in runs:
        if r.get("unavailable"):
            unavailable.setdefault((r["broker"], r["unavailable"].split(":", 1)[0]), r["unavailable"])
    if unavailable:
        out += ["", "Not available: " + "; ".join(unavailable.values())]
    return out


def command_table(args: argparse.Namespace) -> int:
    runs = [r for r in load_runs(args.file) if "section" in r]
    builders = {"sustainable": sustainable_table, "bounded": bounded_table, "connections": connections_table,
                "latency": latency_table, "overload": overload_table, "access": access_table,
                "transports": transports_table}
    blocks = [builders[s](runs) for s in SECTIONS if any(r["section"] == s for r in runs)]
    print("\n\n".join("\n".join(block) for block in blocks))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    record = commands.add_parser("record", help="append one run (ringmq-bench stdout on stdin)")
    record.add_argument("--out", required=True)
    record.add_argument("--case", required=True)
    record.add_argument("--title", required=True)
    record.add_argument("--section", required=True, choices=SECTIONS)
    record.add_argument("--broker", required=True, choices=BROKERS)
    record.add_argument("--rep", type=int, required=True)
    record.add_argument("--exit", type=int, required=True)
    record.add_argument("--command-line", default="")
    record.add_argument("--peak-rss-kb", type=int)
    record.add_argument("--baseline", default="")
    record.add_argument("--offered-per-s", type=float)
    record.add_argument("--window", type=int)
    record.add_argument("--unavailable", default="", help="the broker refused the row's listener: why")
    record.set_defaults(run=command_record)

    value = commands.add_parser("value", help="print a field of the best run of a case")
    value.add_argument("file")
    value.add_argument("case")
    value.add_argument("broker", choices=BROKERS)
    value.add_argument("field")
    value.set_defaults(run=command_value)

    table = commands.add_parser("table", help="print the Markdown tables")
    table.add_argument("file")
    table.set_defaults(run=command_table)

    args = parser.parse_args()
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
