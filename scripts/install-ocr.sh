#!/usr/bin/env bash
# Installs Tesseract with Debian's Simplified Chinese data when missing: the
# server reads ID cards with it (实名认证), and production refuses to start
# without it. Needs root (or the packages already present).
set -euo pipefail
if command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -qx chi_sim; then
  exit 0
fi
echo "==> apt-get install tesseract-ocr tesseract-ocr-chi-sim"
apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr tesseract-ocr-chi-sim >/dev/null
