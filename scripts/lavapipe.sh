#!/usr/bin/env bash
# Fetches Mesa's lavapipe (software Vulkan) from Debian bookworm-backports into DEST, so the webgpu backend
# (Dawn) runs on a machine without a GPU. Bookworm's own lavapipe (Mesa 22.3) is refused by Dawn
# ("Vulkan shaderUniform*ArrayDynamicIndexing required"); the backport (Mesa 25) is accepted.
#
#   eval "$(scripts/lavapipe.sh .cache/lavapipe)"   # then: TUNEBOARD_WEBGPU_TESTS=required npm test
#
# Installs bookworm's mesa-vulkan-drivers when missing (it brings libvulkan1, libllvm15 and the X/Wayland
# libraries the backport links against; needs root or sudo), downloads the backport's debs with a private
# apt list pointing at the machine's own Debian archive (the system's apt sources are left alone), unpacks
# them into DEST and prints the export lines.
# Quick when DEST is already filled. Debian bookworm (amd64 or arm64) only.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 DEST" >&2
  exit 2
fi
mkdir -p "$1"
dest=$(cd "$1" && pwd)
stamp=$dest/.lavapipe-complete
packages=(mesa-vulkan-drivers libdrm2 libdrm-amdgpu1 libdrm-common)
release=bookworm-backports

# The Debian archive this machine already uses (the URI of its bookworm entry, in deb822 .sources files or a
# one-line sources.list), so that the backport comes from the same mirror and no host is named here.
debian_archive_uri() {
  local uri
  uri=$(awk '
    /^URIs:/ { uris = $2 }
    /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "bookworm") found = uris }
    /^$/ { uris = "" }
    END { print found }' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
  [ -n "$uri" ] || uri=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -n 1)
  if [ -z "$uri" ]; then
    echo "lavapipe: no Debian bookworm archive found in /etc/apt/sources.list or /etc/apt/sources.list.d" >&2
    exit 1
  fi
  echo "$uri"
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

if ! dpkg -s mesa-vulkan-drivers >/dev/null 2>&1; then
  echo "lavapipe: installing bookworm's mesa-vulkan-drivers" >&2
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get install -y -qq mesa-vulkan-drivers >&2 ||
    { as_root apt-get update -qq >&2 && as_root apt-get install -y -qq mesa-vulkan-drivers >&2; }
fi

if [ ! -f "$stamp" ]; then
  echo "lavapipe: downloading ${packages[*]} from $release into $dest" >&2
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs"
  archive=$(debian_archive_uri)
  echo "deb $archive $release main" >"$work/sources.list"
  # A private list of backports only; as root, download as root into the private folders (not as _apt).
  o=(-qq -oDir::State::Lists="$work/lists" -oDir::Cache="$work/cache" -oAPT::Sandbox::User=root
     -oDir::Etc::SourceList="$work/sources.list" -oDir::Etc::SourceParts=/dev/null)
  apt-get "${o[@]}" update >&2
  (cd "$work/debs" && apt-get "${o[@]}" download "${packages[@]/%//$release}" >&2)
  rm -rf "$dest"/usr
  for f in "$work"/debs/*.deb; do dpkg -x "$f" "$dest"; done
  touch "$stamp"
fi

lib=$(find "$dest/usr/lib" -name libvulkan_lvp.so -printf '%h\n' -quit)
icd=$dest/usr/share/vulkan/icd.d/lvp_icd.json
if [ -z "$lib" ] || [ ! -f "$icd" ]; then
  echo "lavapipe: $dest lacks libvulkan_lvp.so or lvp_icd.json; delete it and run again" >&2
  exit 1
fi
# The ICD names libvulkan_lvp.so without a folder: LD_LIBRARY_PATH finds it (and the newer libdrm it needs)
# ahead of the system's. Mesa's Wayland code wants XDG_RUNTIME_DIR set.
printf 'export VK_DRIVER_FILES=%q\n' "$icd"
case ":${LD_LIBRARY_PATH:-}:" in
  *":$lib:"*) path=$LD_LIBRARY_PATH ;;
  *) path=$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} ;;
esac
printf 'export LD_LIBRARY_PATH=%q\n' "$path"
printf 'export XDG_RUNTIME_DIR=%q\n' "${XDG_RUNTIME_DIR:-/tmp}"
# One lavapipe thread per process: the test files run side by side on few cores, and a software GPU that takes
# every core slows the browser tests' engine past their waits.
printf 'export LP_NUM_THREADS=%q\n' "${LP_NUM_THREADS:-1}"
