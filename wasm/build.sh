#!/usr/bin/env bash
# Builds the Berth guest from Debian packages only (`npm run guest:build`):
#   kernel (linux-source-6.1, tinyconfig + kernel/berth.config), the agent
#   (agent/, static i686), the initramfs (busybox-static:i386 + agent +
#   initramfs/), the BIOS (seabios), and a saved machine state taken right
#   after boot. Outputs go to public/guest/ with a manifest of checksums and
#   package versions. The kernel build is cached in wasm/.build/ by a key of
#   its inputs, so a rebuild with an unchanged config takes seconds.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
build=$here/.build
out=$root/public/guest
mkdir -p "$build" "$out"

say() { printf '\033[1m[guest]\033[0m %s\n' "$*"; }

# --- 1. Debian packages -------------------------------------------------------
packages=(linux-source-6.1 busybox-static:i386 musl-dev:i386 gcc-i686-linux-gnu seabios flex bison bc libelf-dev cpio lz4)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    say "installing ${missing[*]}"
    dpkg --print-foreign-architectures | grep -qx i386 || dpkg --add-architecture i386
    apt-get update -q || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
  else
    echo "guest build needs these Debian packages: ${missing[*]}" >&2
    echo "install them with: sudo dpkg --add-architecture i386 && sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi
pkgver() { dpkg-query -W -f '${Version}' "$1"; }

# --- 2. Kernel ------------------------------------------------------------------
tarball=/usr/src/linux-source-6.1.tar.xz
src=$build/linux-source-6.1
kkey=$( { pkgver linux-source-6.1; cat "$here/kernel/berth.config"; echo lz4; } | sha256sum | cut -c1-16)
if [ ! -f "$build/bzImage" ] || [ "$(cat "$build/bzImage.key" 2>/dev/null)" != "$kkey" ]; then
  if [ ! -d "$src" ] || [ "$(cat "$build/source.version" 2>/dev/null)" != "$(pkgver linux-source-6.1)" ]; then
    say "unpacking $tarball"
    rm -rf "$src"
    tar -C "$build" -xf "$tarball"
    pkgver linux-source-6.1 > "$build/source.version"
  fi
  say "configuring the kernel (tinyconfig + kernel/berth.config)"
  make -C "$src" ARCH=i386 tinyconfig >/dev/null
  (cd "$src" && scripts/kconfig/merge_config.sh -m .config "$here/kernel/berth.config" >/dev/null)
  make -C "$src" ARCH=i386 olddefconfig >/dev/null
  # Every option the fragment sets must survive olddefconfig (a dependency we
  # forgot would silently drop it).
  bad=0
  while read -r line; do
    case "$line" in
      CONFIG_*=*) grep -qx "$line" "$src/.config" || { echo "kernel option not set: $line" >&2; bad=1; } ;;
      "# CONFIG_"*" is not set")
        opt=${line#\# }; opt=${opt%% *}
        if grep -q "^$opt=" "$src/.config"; then echo "kernel option still set: $opt" >&2; bad=1; fi ;;
    esac
  done < "$here/kernel/berth.config"
  [ $bad = 0 ] || exit 1
  say "building bzImage (a few minutes on 2 cores)"
  make -C "$src" ARCH=i386 -j"$(nproc)" bzImage >"$build/kernel-build.log" 2>&1 || { tail -30 "$build/kernel-build.log"; exit 1; }
  cp "$src/arch/x86/boot/bzImage" "$build/bzImage"
  echo "$kkey" > "$build/bzImage.key"
else
  say "kernel is up to date ($kkey)"
fi
[ -x "$src/usr/gen_init_cpio" ] || make -C "$src" ARCH=i386 usr/gen_init_cpio >/dev/null

# --- 3. Agent -----------------------------------------------------------------
say "building the agent"
# Against musl (Debian musl-dev:i386): 66 KB instead of 770 KB with glibc,
# and every byte of the initramfs costs boot time.
i386-linux-musl-gcc -march=i686 -static -Os -s -Wall -Wextra -Wno-unused-parameter -Werror \
  -o "$build/berth-agent" "$here/agent/agent.c"
i386-linux-musl-gcc -march=i686 -static -Os -s -Wall -Wextra -Werror \
  -o "$build/berth-init" "$here/agent/init.c"

# --- 4. Initramfs ---------------------------------------------------------------
say "assembling the initramfs"
spec=$build/initramfs.list
busybox=/bin/busybox
file "$busybox" | grep -q "Intel 80386" || { echo "$busybox is not the i386 busybox-static" >&2; exit 1; }
{
  echo "dir /dev 755 0 0"
  echo "nod /dev/console 600 0 0 c 5 1"
  echo "nod /dev/null 666 0 0 c 1 3"
  for d in /bin /sbin /usr /usr/bin /usr/sbin /etc /root /newroot /proc /sys /mnt /var /run; do echo "dir $d 755 0 0"; done
  echo "dir /tmp 1777 0 0"
  echo "file /sbin/init $build/berth-init 755 0 0"
  echo "slink /init /sbin/init 777 0 0"
  echo "file /bin/busybox $busybox 755 0 0"
  echo "file /sbin/berth-agent $build/berth-agent 755 0 0"
  echo "file /etc/passwd $here/initramfs/passwd 644 0 0"
  echo "file /etc/group $here/initramfs/group 644 0 0"
  echo "file /etc/profile $here/initramfs/profile 644 0 0"
  # One symlink per busybox applet, at the path busybox installs it to.
  "$busybox" --list-full | sort | while read -r path; do
    [ "$path" = "bin/busybox" ] || [ "$path" = "sbin/init" ] || [ "$path" = "linuxrc" ] && continue
    echo "slink /$path /bin/busybox 777 0 0"
  done
} > "$spec"
# Fixed timestamps make the initramfs reproducible.
"$src/usr/gen_init_cpio" -t 0 "$spec" > "$build/initrd.cpio"

# --- 5. Assets ------------------------------------------------------------------
cp "$build/bzImage" "$out/bzImage"
cp "$build/initrd.cpio" "$out/initrd.cpio"
# SeaBIOS's microvm build reaches the kernel about 0.4 s sooner than bios.bin in v86.
cp /usr/share/seabios/bios-microvm.bin "$out/bios.bin"
cp /usr/share/seabios/vgabios-stdvga.bin "$out/vgabios.bin"

cat > "$build/packages.json" <<JSON
{
  "linux-source-6.1": "$(pkgver linux-source-6.1)",
  "busybox-static:i386": "$(pkgver busybox-static:i386)",
  "seabios": "$(pkgver seabios)",
  "gcc-i686-linux-gnu": "$(pkgver gcc-i686-linux-gnu)",
  "musl-dev:i386": "$(pkgver musl-dev:i386)",
  "gcc": "$(gcc -dumpfullversion)"
}
JSON

# --- 6. Saved state, manifest -------------------------------------------------------
say "booting the guest to save its state"
(cd "$root" && node --import tsx wasm/make-state.ts "$build/packages.json")
(cd "$out" && sha256sum bzImage initrd.cpio bios.bin vgabios.bin state.bin.gz > SHA256SUMS)
say "done:"
ls -l "$out"

# --- 7. Bundled base image ------------------------------------------------------
say "writing the bundled busybox image to public/images/busybox"
(cd "$root" && node --import tsx wasm/make-busybox-image.ts --busybox "$busybox")
