#!/usr/bin/env bash
# GPU readiness: the NN claim grids and the torch engine backend on DEVICE against the CPU.
#
#   bash benchmarks/gpu_check.sh                  # DEVICE=cuda: every NN grid on the GPU and on the CPU
#   DEVICE=cpu STEPS=20 CLAIMS=nn.catapult-mse-relu bash benchmarks/gpu_check.sh   # (the test's form)
#
# Runs `lrbias nn-grid` on the CPU and on DEVICE (TF32 is off: lrbias.gd.device), then
# benchmarks/gpu_compare.py: same verdicts and outcomes, S0 within rtol 1e-3, tail median of
# S*h/2 within 0.02, loss max/start within rtol 0.1; and the batched engine's torch backend on
# DEVICE against numpy. Outputs go to OUT (default: a fresh temporary folder). Exit 0: all agree.
set -euo pipefail
DEVICE="${DEVICE:-cuda}"
CLAIMS="${CLAIMS:-all}"
OUT="${OUT:-$(mktemp -d)}"
ENGINE_N="${ENGINE_N:-20000}"
steps=()
if [[ -n "${STEPS:-}" ]]; then steps=(--steps "$STEPS"); fi
mkdir -p "$OUT"
here="$(cd "$(dirname "$0")" && pwd)"
echo "gpu_check: device=$DEVICE claims=$CLAIMS steps=${STEPS:-claim default} out=$OUT"
start=$(date +%s)
lrbias nn-grid --claims "$CLAIMS" --device cpu --quiet "${steps[@]}" --json "$OUT/nn-cpu.json" > "$OUT/nn-cpu.txt"
mid=$(date +%s)
lrbias nn-grid --claims "$CLAIMS" --device "$DEVICE" --quiet "${steps[@]}" --json "$OUT/nn-$DEVICE.json" > "$OUT/nn-$DEVICE.txt"
end=$(date +%s)
echo "gpu_check: nn-grid cpu $((mid - start)) s, $DEVICE $((end - mid)) s"
rc=0
python "$here/gpu_compare.py" nn "$OUT/nn-cpu.json" "$OUT/nn-$DEVICE.json" || rc=1
python "$here/gpu_compare.py" engine --device "$DEVICE" --n "$ENGINE_N" || rc=1
echo "gpu_check: $([[ $rc == 0 ]] && echo agree || echo DISAGREE) (outputs in $OUT)"
exit $rc
