# shellcheck shell=bash
# images.sh - the local container images of the e2e bed (no registry is reachable).
# localhost/busybox:e2e is a `podman import` of a tarball built here, on the host, from
# the host's static busybox: applet links where busybox puts them, /etc/passwd and
# /etc/group, and /www/index.html for httpd. The tarball is cached under
# $E2E_VAR/images, keyed by the busybox binary and this recipe.

E2E_BUSYBOX_INDEX='berth e2e busybox'   # /www/index.html; suites look for this text

# e2e_busybox_tarball - print the path of the cached tarball, building it if needed.
e2e_busybox_tarball() {
  local bb=${E2E_BUSYBOX:-/bin/busybox}
  [[ $(ldd "$bb" 2>&1) == *'not a dynamic executable'* ]] \
    || { e2e_log "$bb is not a static busybox (apt-get install busybox-static)"; return 1; }
  local key; key=$( { sha256sum < "$bb"; declare -f e2e_busybox_tree; echo "$E2E_BUSYBOX_INDEX"; } \
    | sha256sum | cut -c1-12)
  local out=$E2E_VAR/images/busybox-e2e-$key.tar
  if [ ! -s "$out" ]; then
    mkdir -p "$E2E_VAR/images"
    local tree; tree=$(mktemp -d)
    e2e_busybox_tree "$bb" "$tree" || { rm -rf "$tree"; return 1; }
    # Deterministic: fixed owner, order and times. Written to a name of its own and
    # renamed into place: the flavours run in parallel and, on a fresh machine, each
    # builds the tarball; whichever rename comes last puts the same bytes in place.
    local tmp; tmp=$(mktemp "$out.XXXXXX") || { rm -rf "$tree"; return 1; }
    if ! tar -C "$tree" --owner=0 --group=0 --numeric-owner --sort=name --mtime=@0 -cf "$tmp" . \
        || ! chmod 0644 "$tmp" || ! mv -f "$tmp" "$out"; then
      e2e_log "failed to build the busybox image tarball $out"
      rm -rf "$tree" "$tmp"
      return 1
    fi
    rm -rf "$tree"
  fi
  echo "$out"
}

e2e_busybox_tree() {
  local bb=$1 t=$2 l
  mkdir -p "$t"/{bin,sbin,usr/bin,usr/sbin,etc,root,tmp,www,var/www}
  chmod 1777 "$t/tmp"; chmod 700 "$t/root"
  cp "$bb" "$t/bin/busybox"
  # --list-full names each applet with its usual directory (bin/sh, usr/sbin/httpd, ...).
  while read -r l; do
    [ "$l" = bin/busybox ] || ln -sf /bin/busybox "$t/$l"
  done < <("$bb" --list-full)
  cat > "$t/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
www-data:x:33:33:www-data:/var/www:/bin/false
app:x:1000:1000:app:/tmp:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
  cat > "$t/etc/group" <<'EOF'
root:x:0:
www-data:x:33:
app:x:1000:
nogroup:x:65534:
EOF
  echo "$E2E_BUSYBOX_INDEX" > "$t/www/index.html"
}
