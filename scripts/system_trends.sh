#!/bin/sh
# The README's accelerator table ("system trends"): one N400 Diehl & Cook model, trained
# with STDP on 1,000 MNIST digits (seed 1), run on 300 test digits at each design point
# (placement, mapping, weight precision, DRAM voltage and bit error rate); prints the
# table as Markdown from the runs' summary JSON.
#
#   scripts/system_trends.sh [OUTDIR]      (needs data/mnist: scripts/fetch_data.sh data)
# Environment: SPIKEMEM (default: spikemem on PATH), TEST_SAMPLES (default 300).
set -eu
OUT=${1:-trends}
SPIKEMEM=${SPIKEMEM:-spikemem}
TEST=${TEST_SAMPLES:-300}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CFG="$ROOT/configs/mnist400.toml"
mkdir -p "$OUT"
cd "$OUT"
if [ ! -f model.h5 ]; then
    "$SPIKEMEM" train -c "$CFG" --set data.train_samples=1000 --set snn.epochs=1 \
        --set snn.label_samples=1000 --out model.h5 --json train.json >/dev/null
fi
# name | label | overrides
POINTS='naive|DDR4-2400, `RoCoBaRaCh`, naive placement, 8-bit|dram.mapping=RoCoBaRaCh system.placement=naive snn.weight_bits=8
drmapx|DDR4-2400, `RoCoBaRaCh`, DRMap placement, 8-bit|dram.mapping=RoCoBaRaCh snn.weight_bits=8
f32|DDR4-2400, DRMap, 32-bit float weights|snn.weight_bits=32
q8|DDR4-2400, DRMap, 8-bit|snn.weight_bits=8
q4|DDR4-2400, DRMap, 4-bit|snn.weight_bits=4
v135|DDR3L-1600 at 1.35 V, 8-bit|dram.standard=DDR3L-1600 snn.weight_bits=8
v1025|DDR3L-1600 at 1.025 V, BER from the voltage table (uniform)|dram.standard=DDR3L-1600 dram.vdd=1.025 dram.error_model=uniform snn.weight_bits=8
ber3|DDR3L at 1.025 V, BER 1e-3 (uniform)|dram.standard=DDR3L-1600 dram.vdd=1.025 dram.error_model=uniform dram.ber=1e-3 snn.weight_bits=8
ber2|DDR3L at 1.025 V, BER 1e-2|dram.standard=DDR3L-1600 dram.vdd=1.025 dram.error_model=uniform dram.ber=1e-2 snn.weight_bits=8
ber5|DDR3L at 1.025 V, BER 5e-2|dram.standard=DDR3L-1600 dram.vdd=1.025 dram.error_model=uniform dram.ber=5e-2 snn.weight_bits=8'
echo "$POINTS" | while IFS='|' read -r name label sets; do
    [ -f "$name.json" ] && continue
    args=""
    for s in $sets; do args="$args --set $s"; done
    # shellcheck disable=SC2086
    "$SPIKEMEM" run -c "$CFG" --set 'system.model="model.h5"' --set "data.test_samples=$TEST" \
        $args --out "$name.h5" --json "$name.json" >/dev/null
done
POINTS="$POINTS" python3 - <<'PY'
import json, os
print("| design point | accuracy | DRAM reads | row-hit rate | ACT | DRAM dynamic (RD+ACT/PRE) | DRAM total | bits flipped |")
print("|---|---|---|---|---|---|---|---|")
for line in os.environ["POINTS"].splitlines():
    name, label, _ = line.split("|")
    s = json.load(open(name + ".json"))
    d = s["dram"]
    e = d["energy_breakdown_pj"]
    dyn = (e.get("rd", 0) + e.get("act_pre", 0)) / 1e9
    cells = [
        label,
        "%.1f%%" % (100 * s["accuracy"]),
        "%.2f M" % (s["dram_reads"] / 1e6),
        "%.3f" % d["row_hit_rate"],
        "%.2f M" % (d["commands"]["ACT"] / 1e6),
        "%.1f mJ" % dyn,
        "%.0f mJ" % (d["energy_pj"] / 1e9),
        str(s["memory"]["fault_bits_flipped"]),
    ]
    print("| " + " | ".join(cells) + " |")
PY
