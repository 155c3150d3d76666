"""`omnicontacts import` and `omnicontacts export`, with Rich progress bars (rows/s and ETA)."""

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.text import Text

from omnicontacts.settings import Settings

# Rejections printed after an import; the full list stays in the database (GET by import id).
SHOWN_REJECTIONS = 50


class RowsPerSecond(ProgressColumn):
    """Rows done and the rate since the start (the bar itself follows bytes, for the ETA)."""

    def render(self, task: Task) -> Text:
        rows = int(task.fields.get("rows", 0))
        elapsed = task.elapsed or 0.0
        rate = rows / elapsed if elapsed > 0 else 0.0
        return Text(f"{rows:,} rows {rate:,.0f} rows/s", style="progress.data.speed")


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        RowsPerSecond(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


def run_import_command(settings: Settings, path: Path, fmt: str | None, dry: bool, batch_size: int) -> int:
    from omnicontacts.bootstrap import prepare_database
    from omnicontacts.portability import bulk, importer
    from omnicontacts.storage import open_storage

    if not path.is_file():
        typer.echo(f"error: no such file: {path}", err=True)
        return 2
    # The import builds any indexes a killed import left dropped itself (or, resuming that very
    # import, goes on without them): not at start-up here.
    prepare_database(settings, restore_indexes=False)
    console = Console(stderr=True)

    async def work() -> dict[str, Any]:
        storage = await open_storage(settings)
        try:
            with _progress(console) as progress:
                task = progress.add_task("dry run" if dry else "import", total=path.stat().st_size)

                def update(state: dict[str, Any]) -> None:
                    progress.update(task, completed=state["bytesRead"], rows=state["counts"]["rows"])

                if dry:
                    return await importer.dry_run(storage, path, fmt=fmt, batch_size=batch_size, on_progress=update)
                return await importer.run_import(
                    storage,
                    path,
                    fmt=fmt,
                    batch_size=batch_size,
                    bulk_policy=bulk.policy(settings),
                    on_progress=update,
                )
        finally:
            await storage.close()

    started = time.monotonic()
    result = asyncio.run(work())
    elapsed = time.monotonic() - started
    counts = result["counts"]
    summary = ", ".join(f"{key} {value}" for key, value in counts.items())
    typer.echo(f"{'dry run' if dry else 'import ' + result['_id']}: {result['status']} in {elapsed:.1f}s: {summary}")
    if result.get("error"):
        typer.echo(f"error: {result['error']}", err=True)
        return 1
    rejections = result["rejections"] if dry else asyncio.run(_rejections(settings, result["_id"]))
    for item in rejections[:SHOWN_REJECTIONS]:
        typer.echo(f"line {item['line']}: {item['reason']}")
    if counts["rejected"] > SHOWN_REJECTIONS:
        typer.echo(f"... {counts['rejected'] - SHOWN_REJECTIONS} more rejected rows")
    return 0


async def _rejections(settings: Settings, job_id: str) -> list[dict[str, Any]]:
    from omnicontacts.portability import repository
    from omnicontacts.storage import open_storage

    storage = await open_storage(settings)
    try:
        async with storage.connection() as conn:
            return await repository.rejections_page(conn, job_id, offset=0, count=SHOWN_REJECTIONS)
    finally:
        await storage.close()


def run_export_command(
    settings: Settings, output: Path | None, fmt: str, search: str | None, unknown: bool | None
) -> int:
    from omnicontacts.bootstrap import prepare_database
    from omnicontacts.portability import exporter
    from omnicontacts.storage import open_storage

    prepare_database(settings)
    console = Console(stderr=True)

    async def work() -> int:
        storage = await open_storage(settings)
        try:
            total = await exporter.count(storage, search=search, unknown=unknown)
            target = output.open("wb") if output else sys.stdout.buffer
            written = 0
            try:
                with _progress(console) as progress:
                    task = progress.add_task("export", total=total or 1)
                    async for chunk, rows in exporter.chunks(storage, fmt=fmt, search=search, unknown=unknown):
                        target.write(chunk)
                        written += rows
                        progress.update(task, completed=written, rows=written)
            finally:
                if output:
                    target.close()
            return written
        finally:
            await storage.close()

    written = asyncio.run(work())
    console.print(f"exported {written} contacts")
    return 0
