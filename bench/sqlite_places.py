#!/usr/bin/env python3
"""Near and box on SQLite: the grid index the server uses, beside SQLite's R*Tree module (issue 15).

Migrates a fresh SQLite file with the server (`congdanso migrate`), files BENCH_SQLITE_REPORTS reports
(200,000: half around Đà Lạt's centre, half spread over the country), adds an R*Tree of their positions
(the one the issue proposed: `rtree(id, min_lat, max_lat, min_lon, max_lon, +report_id)`, as reports have
no stable integer rowid) and times the same answers both ways: the page nearest first within 500 m, and
the page newest first in boxes from 1 km to 1°. The grid's SQL is the server's (`cell IN (…)` over the
covering index `reports_cell`, or a latitude range over `reports_position` beyond 400 cells).

Run: `python3 bench/sqlite_places.py` (after `cargo build`, `--release` or not: it only migrates). Uses Python's own SQLite library,
whose version it prints; the file is the one the server wrote.
"""

import math
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPORTS = int(os.environ.get("BENCH_SQLITE_REPORTS", "200000"))
DA_LAT = (11.94, 108.45)
MOST_CELLS = 400
COMMON = "reports.is_public = 1 AND reports.status <> 'withdrawn' AND reports.lon BETWEEN ? AND ? AND reports.lat BETWEEN ? AND ?"
IN_TREE = "reports.id IN (SELECT report_id FROM report_places WHERE max_lat >= ? AND min_lat <= ? AND max_lon >= ? AND min_lon <= ?)"


def cell_of(lat, lon):
    return (math.floor(lat * 100) + 9000) * 100000 + math.floor(lon * 100) + 18000


def cells(box):
    (min_lat, max_lat, min_lon, max_lon) = box
    low, high = cell_of(min_lat, min_lon), cell_of(max_lat, max_lon)
    rows, columns = range(low // 100000, high // 100000 + 1), range(low % 100000, high % 100000 + 1)
    return [row * 100000 + column for row in rows for column in columns]


def database():
    work = tempfile.mkdtemp(prefix="congdanso-sqlite-places-")
    built = [os.path.join(ROOT, "target", kind, "congdanso") for kind in ("release", "debug")]
    binary = next((path for path in built if os.path.exists(path)), built[0])
    env = dict(os.environ, DATABASE_URL=f"sqlite://{work}/cds.db", CDS_DATA_DIR=work)
    subprocess.run([binary, "migrate"], env=env, check=True, capture_output=True)
    conn = sqlite3.connect(f"{work}/cds.db")
    random.seed(15)
    rows = []
    for i in range(REPORTS):
        if i % 2 == 0:
            lat, lon = random.gauss(DA_LAT[0], 0.03), random.gauss(DA_LAT[1], 0.03)
        else:
            lat, lon = random.uniform(8.6, 23.3), random.uniform(102.2, 109.4)
        rows.append((str(uuid.UUID(int=random.getrandbits(128))), lat, lon, cell_of(lat, lon)))
    conn.executemany(
        "INSERT INTO reports (id, reporter_id, category_code, description, search_text, lat, lon, cell, unit_code,"
        " unit_approximate, status, is_public, is_anonymous, urgent, supporters, created_at, updated_at)"
        " VALUES (?, 'bench', 'waste', 'd', 'd', ?, ?, ?, '24772', 0, 'submitted', 1, 0, 0, 0,"
        " '2026-06-01 00:00:00', '2026-06-01 00:00:00')",
        rows,
    )
    conn.execute("CREATE VIRTUAL TABLE report_places USING rtree(id, min_lat, max_lat, min_lon, max_lon, +report_id TEXT)")
    conn.execute("INSERT INTO report_places (min_lat, max_lat, min_lon, max_lon, report_id) SELECT lat, lat, lon, lon, id FROM reports")
    conn.commit()
    conn.execute("ANALYZE")
    return conn


def timed(conn, sql, args):
    conn.execute(sql, args).fetchall()
    runs, started = 0, time.perf_counter()
    while time.perf_counter() - started < 1.0:
        found = conn.execute(sql, args).fetchall()
        runs += 1
    plan = " / ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, args))
    return (time.perf_counter() - started) / runs * 1000, len(found), plan


def box_around(center, metres):
    dlat = metres / 111320
    dlon = metres / (111320 * math.cos(math.radians(center[0])))
    return (center[0] - dlat, center[0] + dlat, center[1] - dlon, center[1] + dlon)


def by_grid(box):
    listed = cells(box)
    if len(listed) <= MOST_CELLS:
        return f"reports.cell IN ({','.join(map(str, listed))})", []
    return "reports.lat BETWEEN ? AND ?", [box[0], box[1]]


def main():
    conn = database()
    print(f"SQLite {sqlite3.sqlite_version}, {REPORTS:,} reports\n")
    print("| answer | grid ms | R*Tree ms | rows | grid's plan | R*Tree's plan |")
    print("|---|---|---|---|---|---|")
    within = lambda box: [box[2], box[3], box[0], box[1]]
    tree_args = lambda box: [box[0], box[1], box[2], box[3]]

    center, radius = DA_LAT, 500
    box = box_around(center, radius)
    east = 111320 * math.cos(math.radians(center[0]))
    squared = (f"((reports.lat - {center[0]}) * 111320.0) * ((reports.lat - {center[0]}) * 111320.0)"
               f" + ((reports.lon - {center[1]}) * {east}) * ((reports.lon - {center[1]}) * {east})")
    near = "SELECT reports.id, {sq} AS d FROM reports WHERE {where} AND {common} AND {sq} <= {r2} ORDER BY d, reports.id DESC LIMIT 21"
    grid_where, grid_args = by_grid(box)
    grid = timed(conn, near.format(sq=squared, where=grid_where, common=COMMON, r2=radius * radius), grid_args + within(box))
    tree = timed(conn, near.format(sq=squared, where=IN_TREE, common=COMMON, r2=radius * radius), tree_args(box) + within(box))
    print(f"| near 500 m, Đà Lạt | {grid[0]:.2f} | {tree[0]:.2f} | {grid[1]} | {grid[2]} | {tree[2]} |")

    newest = "SELECT reports.* FROM reports WHERE {where} AND {common} ORDER BY reports.id DESC LIMIT 21"
    boxes = [
        ("box 1 km, Đà Lạt", box_around(DA_LAT, 500)),
        ("box 0.3°, the north", (20.0, 20.3, 105.0, 105.3)),
        ("box 1°, the north", (20.0, 21.0, 105.0, 106.0)),
        ("box 1°, around Đà Lạt", (11.5, 12.5, 108.0, 109.0)),
    ]
    for label, box in boxes:
        grid_where, grid_args = by_grid(box)
        grid = timed(conn, newest.format(where=grid_where, common=COMMON), grid_args + within(box))
        tree = timed(conn, newest.format(where=IN_TREE, common=COMMON), tree_args(box) + within(box))
        print(f"| {label} | {grid[0]:.2f} | {tree[0]:.2f} | {grid[1]} | {grid[2]} | {tree[2]} |")


if __name__ == "__main__":
    sys.exit(main())
