#!/usr/bin/env bash
# Data-parallel training over MPI, checked byte for byte with the sample on the committed Fashion-MNIST slice:
#   1. 2 processes x 1 thread (mpirun) save the same weights as 1 process x 2 threads;
#   2. a checkpoint written by 2 processes after epoch 1, resumed by 1 process for epoch 2, saves the same weights as
#      one uninterrupted 2-epoch run;
#   5. a BatchNorm model (tests/DslConv.MpiCheck: Conv2D-BatchNorm-ReLU-MaxPool-Flatten-Dense) saves the same weights
#      with 1, 2 and 3 threads and with 2 processes x 1 thread.
# Prints one line per check and ends with "MPI check: P passed, F failed". Needs Open MPI's mpirun (see .ci/run).
set -uo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
slice=tests/DslConv.Tests/Data/fashion-mnist-slice
dotnet build -c Release samples/FashionMnist -o "$work/bin" >"$work/build.log" 2>&1 || { echo "MPI check: the sample did not build (see above)"; cat "$work/build.log" | tail -20; echo "MPI check: 0 passed, 1 failed"; exit 1; }
sample=("dotnet" "$work/bin/FashionMnist.dll" --data "$slice" --predict 0)
mpi=(mpirun -np 2 --oversubscribe)
[ "$(id -u)" -eq 0 ] && mpi+=(--allow-run-as-root)

passed=0
failed=0
check() { # name, file a, file b
  if cmp -s "$2" "$3"; then echo "MPI check passed: $1"; passed=$((passed + 1)); else echo "MPI check FAILED: $1"; failed=$((failed + 1)); fi
}

"${sample[@]}" --epochs 1 --threads 2 --save "$work/one.safetensors" >"$work/one.log" 2>&1
timeout 600 "${mpi[@]}" "${sample[@]}" --distributed --epochs 1 --threads 1 --save "$work/two.safetensors" >"$work/two.log" 2>&1 \
  || { echo "mpirun failed:"; tail -20 "$work/two.log"; }
check "2 processes x 1 thread = 1 process x 2 threads (1 epoch)" "$work/one.safetensors" "$work/two.safetensors"

"${sample[@]}" --epochs 2 --threads 1 --save "$work/whole.safetensors" >"$work/whole.log" 2>&1
timeout 600 "${mpi[@]}" "${sample[@]}" --distributed --epochs 1 --threads 1 --checkpoint "$work/run.safetensors" >"$work/first.log" 2>&1 \
  || { echo "mpirun failed:"; tail -20 "$work/first.log"; }
"${sample[@]}" --epochs 2 --threads 2 --resume --checkpoint "$work/run.safetensors" --save "$work/resumed.safetensors" >"$work/resumed.log" 2>&1 \
  || { echo "resume failed:"; tail -20 "$work/resumed.log"; }
check "2-process checkpoint resumed by 1 process = uninterrupted run (2 epochs)" "$work/whole.safetensors" "$work/resumed.safetensors"

# 3. Without MPI, --distributed is a one-line error saying how to install it (no libmpi: a name that loads nothing).
DSLCONV_MPI_LIBRARY=libmpi-that-is-not-here.so "${sample[@]}" --distributed --epochs 1 >"$work/none.log" 2>&1
code=$?
if [ "$code" -eq 2 ] && grep -q "error: --distributed: .*libmpi-that-is-not-here.so could not be loaded" "$work/none.log"; then
  echo "MPI check passed: without libmpi, --distributed is a clear error (exit 2)"; passed=$((passed + 1))
else
  echo "MPI check FAILED: without libmpi, --distributed gave exit $code:"; tail -5 "$work/none.log"; failed=$((failed + 1))
fi

# 4. A process that fails ends the job with its message instead of leaving the other waiting: process 1 is given a
#    data folder that does not exist (mpirun's MPMD form), process 0 the real one.
timeout 300 mpirun $( [ "$(id -u)" -eq 0 ] && echo --allow-run-as-root ) --oversubscribe \
  -np 1 dotnet "$work/bin/FashionMnist.dll" --data "$slice" --predict 0 --distributed --epochs 1 : \
  -np 1 dotnet "$work/bin/FashionMnist.dll" --data "$work/no-such-folder" --predict 0 --distributed --epochs 1 >"$work/failed.log" 2>&1
code=$?
if [ "$code" -ne 0 ] && [ "$code" -ne 124 ] && grep -q "process 1 of 2 failed" "$work/failed.log"; then
  echo "MPI check passed: a failing process aborts the job with its message (exit $code)"; passed=$((passed + 1))
else
  echo "MPI check FAILED: a failing process gave exit $code (124: the job hung):"; tail -10 "$work/failed.log"; failed=$((failed + 1))
fi

# 5. BatchNorm: the micro-shards exchange their batch statistics in shard order, across processes too.
bn=(dotnet "$work/bn/DslConv.MpiCheck.dll" "$slice")
if dotnet build -c Release tests/DslConv.MpiCheck -o "$work/bn" >"$work/bn-build.log" 2>&1; then
  for threads in 1 2 3; do "${bn[@]}" "$threads" "$work/bn-$threads.safetensors" >"$work/bn-$threads.log" 2>&1; done
  timeout 600 "${mpi[@]}" "${bn[@]}" 1 "$work/bn-mpi.safetensors" --distributed >"$work/bn-mpi.log" 2>&1 \
    || { echo "mpirun failed:"; tail -20 "$work/bn-mpi.log"; }
  check "BatchNorm model: 2 threads = 1 thread" "$work/bn-1.safetensors" "$work/bn-2.safetensors"
  check "BatchNorm model: 3 threads = 1 thread" "$work/bn-1.safetensors" "$work/bn-3.safetensors"
  check "BatchNorm model: 2 processes x 1 thread = 1 process x 1 thread" "$work/bn-1.safetensors" "$work/bn-mpi.safetensors"
else
  echo "MPI check FAILED: tests/DslConv.MpiCheck did not build:"; tail -20 "$work/bn-build.log"; failed=$((failed + 1))
fi

echo "MPI check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
