#!/usr/bin/env bash
# The shipping comparison: the lesson's trained network (samples/ShipClassifier/fashion-cnn.safetensors) as a program
# that classifies the Fashion-MNIST test set, three ways: DslConv with the weights compiled in ([EmbedWeights], one
# NativeAOT binary), ONNX Runtime (NativeAOT program + libonnxruntime + the .onnx file) and TorchSharp (a self-contained
# folder with libtorch + the weights; TorchSharp does not support NativeAOT). Prints what each ships (bytes) and the
# median of five runs' times from process start to the model being ready and to its first prediction (the test set's
# reading not counted), and checks that all three classify the test set alike.
#   bash benchmarks/Shipping/measure.sh [OUT_DIR]     (needs gcc and zlib1g-dev for NativeAOT; the data set installed)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-/tmp/dslconv-shipping}
data=${DATA:-/usr/share/datasets/fashion-mnist}
weights=samples/ShipClassifier/fashion-cnn.safetensors
aot=(-c Release -r linux-x64 -p:Aot=true -p:CppCompilerAndLinker=gcc -p:StripSymbols=true)
rm -rf "$out" && mkdir -p "$out"

dotnet run -c Release --project samples/FashionMnist -- --load "$weights" --epochs 0 --data "$data" \
  --export-onnx "$out/fashion-cnn.onnx" > "$out/export.log"
dotnet publish samples/ShipClassifier "${aot[@]}" -o "$out/dslconv" > "$out/publish-dslconv.log"
dotnet publish benchmarks/Shipping/OrtClassifier "${aot[@]}" -o "$out/ort" > "$out/publish-ort.log"
dotnet publish benchmarks/Shipping/TorchClassifier -c Release -r linux-x64 --self-contained -o "$out/torch" > "$out/publish-torch.log"
cp "$out/fashion-cnn.onnx" "$out/ort/"
cp "$weights" "$out/torch/"
# Debug symbols and XML docs are not shipped, nor the Windows DLLs ONNX Runtime's package copies into a linux-x64 publish.
find "$out/dslconv" "$out/ort" "$out/torch" \( -name '*.dbg' -o -name '*.pdb' -o -name '*.xml' \) -delete
rm -f "$out"/ort/*.dll

run() { # name, command...: five runs, the median of each time
  local name=$1; shift
  local ready=() first=() accuracy=""
  for _ in 1 2 3 4 5; do
    local text; text=$("$@")
    ready+=("$(sed -n 's/^model ready: \([0-9]*\) ms.*/\1/p' <<< "$text")")
    first+=("$(sed -n 's/^first prediction: \([0-9]*\) ms.*/\1/p' <<< "$text")")
    accuracy=$(sed -n 's/^test set: \(.*\)/\1/p' <<< "$text")
  done
  local median_ready median_first
  median_ready=$(printf '%s\n' "${ready[@]}" | sort -n | sed -n 3p)
  median_first=$(printf '%s\n' "${first[@]}" | sort -n | sed -n 3p)
  printf '| %s | %s | %s | %s | %s ms | %s ms | %s |\n' "$name" "$(find "$out/$name" -type f | wc -l)" \
    "$(du -sb "$out/$name" | cut -f1)" "$(du -sh "$out/$name" | cut -f1)" "$median_ready" "$median_first" "$accuracy"
}

echo "| program | files | bytes shipped | size | model ready | first prediction | test set |"
echo "|---|---:|---:|---:|---:|---:|---|"
run dslconv "$out/dslconv/ShipClassifier" --data "$data"
run ort "$out/ort/OrtClassifier" "$out/ort/fashion-cnn.onnx" "$data"
run torch "$out/torch/TorchClassifier" "$out/torch/fashion-cnn.safetensors" "$data"
"$out/dslconv/ShipClassifier" --data "$data" --compare "$weights" | tail -1
