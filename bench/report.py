"""Markdown tables from bench.run result files, for docs/performance.md.

uv run python -m bench.report bench/results/s10k-*.json bench/results/s1m-*.json
"""

import argparse
import json
from pathlib import Path
from typing import Any


def rate(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:.2f}"


def rows(result: dict[str, Any]) -> list[str]:
    data = result["data"]
    size = f"{data['contacts']:,} / {data['rooms']:,}"
    lines = []
    for endpoint, per_server in result["summary"].items():
        ratio = per_server.get("ratio", {}).get("rps")
        for server in ("project", "floor"):
            row = per_server.get(server)
            if row is None:
                continue
            name = "floor (Rocket.Chat-style scan)" if endpoint.endswith(".scan") else server
            shown_ratio = f"{ratio:.2f}" if ratio is not None and server == "project" else ""
            lines.append(
                f"| {size} | {endpoint.removesuffix('.scan')} | {name} | {int(row['connections'])} | "
                f"{rate(row['rps'])} | {rate(row['rps_min'])}–{rate(row['rps_max'])} | {row['p50_ms']:.1f} | "
                f"{row['p99_ms']:.1f} | {row['server_cpu_ms'] * 1000:.0f} | {row['postgres_cpu_ms'] * 1000:.0f} | "
                f"{row['peak_rss_mb']:.0f} | {shown_ratio} |"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args()
    print(
        "| contacts / rooms | endpoint | server | conns | req/s (median) | req/s (min–max) | p50 ms | p99 ms "
        "| app CPU µs/req | PostgreSQL CPU µs/req | peak RSS MB | project/floor |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for file in args.files:
        for line in rows(json.loads(file.read_text())):
            print(line)
    for file in args.files:
        result = json.loads(file.read_text())
        runs = result["measurements"]
        other = max((item["cpu"]["other"] for item in runs), default=0)
        retried = sum(1 for item in runs if item["attempts"] > 1)
        print(
            f"\n{file.name}: {len(runs)} runs of {result['settings']['duration']} s; other processes used at most "
            f"{other:.2f} cores during a kept run; {retried} runs were measured again because of them"
        )


if __name__ == "__main__":
    main()
