#!/bin/sh
# Submit a spikemem sweep as a Slurm array job: task I of N runs `--shard I/N` into one
# shared output directory; when all are done, `spikemem sweep FILE --out DIR --collect`
# (or any rerun) writes DIR/results.csv. Tasks that died can be resubmitted as they are:
# finished points are skipped.
#   scripts/sweep_slurm.sh configs/sweeps/voltage.toml /scratch/voltage 8 [sbatch options]
set -eu
if [ $# -lt 3 ]; then
    echo "usage: $0 SWEEP.toml OUT_DIR N_TASKS [sbatch options...]" >&2
    exit 2
fi
sweep=$1 out=$2 n=$3
shift 3
bin=${SPIKEMEM:-spikemem}
mkdir -p "$out"
sbatch --array=0-$((n - 1)) --job-name=spikemem-sweep --output="$out/slurm-%a.log" "$@" \
    --wrap="$bin sweep '$sweep' --out '$out' --jobs \${SLURM_CPUS_PER_TASK:-1} --shard \${SLURM_ARRAY_TASK_ID}/$n"
