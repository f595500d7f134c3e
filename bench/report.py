"""report.py -- turn bench/run.sh's raw samples into the table and JSON.

    /usr/bin/python3 bench/report.py RAW.tsv META.json OUT.json

RAW.tsv has one sample per line: `workers scenario contender round metric
value` (tab-separated).  META.json is merged into the output as is.  Prints
one table (medians, then ratios) and writes OUT.json with every sample,
the medians and the ratios.
"""
import json
import statistics
import sys

CONTENDERS = ["direct", "nginx", "haproxy", "haproxy-jwt",
              "db-public", "db-protected"]
SHORT = {"direct": "direct", "nginx": "nginx", "haproxy": "haproxy",
         "haproxy-jwt": "hap-jwt", "db-public": "db-pub",
         "db-protected": "db-prot"}
# Each Drawbridge port against its like-for-like peers.
PAIRS = [("db-public", "nginx"), ("db-public", "haproxy"),
         ("db-public", "direct"), ("db-protected", "nginx"),
         ("db-protected", "haproxy-jwt"), ("db-protected", "direct")]
SCENARIOS = [
    ("small_c1", "small GET, 1 conn"),
    ("small_c50", "small GET, 50 conns"),
    ("small_c256", "small GET, 256 conns"),
    ("download", "download"),
    ("upload", "upload"),
    ("idle", "idle keep-alive"),
    ("ws_idle", "idle WebSocket"),
    ("sse", "SSE first event"),
    ("tls_full", "TLS full (1.3)"),
    ("tls_resumed", "TLS resumed (1.2)"),
    ("redis", "Redis, warm cache"),
]
METRICS = {
    "rps": ("req/s", "higher"),
    "p50_us": ("p50 us", "lower"),
    "p99_us": ("p99 us", "lower"),
    "mb_s": ("MB/s", "higher"),
    "rss_growth_kib": ("RSS+ KiB", "lower"),
    "bytes_per_conn": ("B/conn", "lower"),
    "bytes_per_tunnel": ("B/tunnel", "lower"),
    "first_event_us": ("us", "lower"),
    "hs_per_s": ("hs/s", "higher"),
    "get_per_req": ("GET/req", "lower"),
    "cmds_per_req": ("cmds/req", "lower"),
}
METRIC_ORDER = list(METRICS)


def fmt(v):
    if v is None:
        return "-"
    if abs(v) >= 100:
        return "%.0f" % v
    if abs(v) >= 1:
        return "%.2f" % v
    return "%.3g" % v


def main():
    raw, meta_path, out_path = sys.argv[1:4]
    samples = {}
    with open(raw) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 6:
                continue
            w, scen, cont, _rnd, metric, value = parts
            samples.setdefault(w, {}).setdefault(scen, {}).setdefault(
                cont, {}).setdefault(metric, []).append(float(value))
    with open(meta_path) as f:
        meta = json.load(f)

    medians, ratios = {}, {}
    for w, scens in samples.items():
        for scen, conts in scens.items():
            for cont, metrics in conts.items():
                for metric, vals in metrics.items():
                    medians.setdefault(w, {}).setdefault(scen, {}).setdefault(
                        cont, {})[metric] = statistics.median(vals)
    for w, scens in medians.items():
        for scen, conts in scens.items():
            for a, b in PAIRS:
                if a not in conts or b not in conts:
                    continue
                for metric, va in conts[a].items():
                    vb = conts[b].get(metric)
                    if vb is None or vb == 0:
                        continue
                    ratios.setdefault(w, {}).setdefault(scen, {}).setdefault(
                        metric, {})["%s/%s" % (a, b)] = va / vb

    head = ["scenario", "metric"] + [SHORT[c] for c in CONTENDERS] + [
        "pub/ngx", "pub/hap", "pub/dir", "prot/ngx", "prot/hjwt",
        "prot/dir"]
    rows = []
    for w in sorted(medians, key=int):
        rows.append(None)
        rows.append(["workers %s" % w])
        for scen, label in SCENARIOS:
            conts = medians[w].get(scen)
            if not conts:
                continue
            present = set()
            for c in conts.values():
                present.update(c)
            for metric in METRIC_ORDER:
                if metric not in present:
                    continue
                row = [label, METRICS[metric][0]]
                row += [fmt(conts.get(c, {}).get(metric)) for c in CONTENDERS]
                r = ratios.get(w, {}).get(scen, {}).get(metric, {})
                row += [fmt(r.get("%s/%s" % p)) for p in PAIRS]
                rows.append(row)
    widths = [max(len(str(r[i])) for r in rows + [head]
                  if r is not None and len(r) > i)
              for i in range(len(head))]

    def show(r):
        print("  ".join(str(x).rjust(widths[i]) if i > 1
                        else str(x).ljust(widths[i])
                        for i, x in enumerate(r)))
    show(head)
    for r in rows:
        if r is None:
            print("-" * (sum(widths) + 2 * (len(widths) - 1)))
        elif len(r) == 1:
            print(r[0])
        else:
            show(r)
    print()
    print("Ratios are Drawbridge / peer on medians: above 1 is better for "
          "req/s and MB/s, below 1 is better for latency, RSS and Redis.")
    print("pub = Drawbridge public port (routing), prot = protected port "
          "(routing + JWT); hjwt = HAProxy with jwt_verify.")

    out = dict(meta)
    out["samples"] = samples
    out["medians"] = medians
    out["ratios"] = ratios
    out["metrics"] = {k: {"unit": v[0], "better": v[1]}
                      for k, v in METRICS.items()}
    with open(out_path, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
