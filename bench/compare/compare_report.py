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
latter with baseline = the open case) and connect-storm rows (scenario conn).
"""

from __future__ import annotations

import argparse
import json
import math
import sys

BROKERS = ("ringmq", "mosquitto")
SECTIONS = ("sustainable", "bounded", "connections", "latency", "overload", "access")
P99_BOUND_US = 5000  # the latency bound for sustainable rates
ACL_TARGET = 0.90  # issue 11: ringmq with ACL on keeps >= 90 % of its QoS 0 pairs rate with ACL off


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


def command_table(args: argparse.Namespace) -> int:
    runs = [r for r in load_runs(args.file) if "section" in r]
    builders = {"sustainable": sustainable_table, "bounded": bounded_table, "connections": connections_table,
                "latency": latency_table, "overload": overload_table, "access": access_table}
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
