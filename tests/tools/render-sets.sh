# shellcheck shell=bash
# render-sets.sh — sourced by check-verify.sh and check-quadlet.sh: render every
# manifest the tests know, natively and as Quadlet, one directory per set.
#
#   render_sets OUT    (run from the source tree; needs BERTH, GENERATOR)
#
# Sets, each OUT/<n>-<name>/ with native/ (units), quadlet/ (Quadlet files and the
# app units that go with them), scope ("system" or "user") and origin (a label):
#   - every tests/manifests/valid/*.yaml and tests/quadlet/*.yaml on its own
#     (`berth render`), tests/quadlet/*.yaml also as rootless apps;
#   - every tests/golden/<case>/: berth-generator itself over the case's search
#     path (apps/, vendor/, berth.conf, scope, as tests/check-golden.sh runs it),
#     then `berth render --format=quadlet` of exactly the apps it rendered (bad
#     apps are the generator's to skip, so they are not rendered as Quadlet);
#     the apps tests/quadlet/refused-golden.list names must be refused instead.
# tests/quadlet/refuse/ (apps Quadlet cannot express) is for check-quadlet alone.
# Returns 1 (after rendering the rest) if any rendering failed; says which.

_rs_conf() { # a berth.conf beside the manifest or one directory up, else none
  local d; d=$(dirname "$1")
  if [ -f "$d/berth.conf" ]; then echo "$d/berth.conf"
  elif [ -f "$(dirname "$d")/berth.conf" ]; then echo "$(dirname "$d")/berth.conf"
  else echo /nonexistent/berth.conf; fi
}

_rs_user_env=(HOME=/home/berth-check XDG_RUNTIME_DIR=/run/user/1000)

render_sets() {
  local out=$1 n=0 bad=0 m scope d c dirs conf ids refused
  local -a berth env_
  for scope in system user; do
    if [ $scope = system ]; then
      set -- tests/manifests/valid/*.yaml tests/quadlet/*.yaml
    else
      set -- tests/quadlet/*.yaml
    fi
    for m; do
      [ -e "$m" ] && [ "$(readlink -f "$m")" != /dev/null ] || continue
      n=$((n + 1))
      d=$out/$(printf %03d $n)-$(basename "$m" .yaml)
      mkdir -p "$d/native" "$d/quadlet"
      echo "$scope" > "$d/scope"
      if [ $scope = user ]; then echo "$m (rootless)"; else echo "$m"; fi > "$d/origin"
      env_=(env BERTH_CONF="$(_rs_conf "$m")")
      [ $scope = user ] && env_+=("${_rs_user_env[@]}")
      berth=("${env_[@]}" "$BERTH")
      [ $scope = user ] && berth+=(--user)
      if ! "${berth[@]}" render --format=systemd --out "$d/native" "$m" ||
         ! "${berth[@]}" render --format=quadlet --out "$d/quadlet" "$m"; then
        echo "FAIL $(cat "$d/origin"): berth render failed"; bad=1
      fi
    done
  done

  for c in tests/golden/*/; do
    c=${c%/}
    [ -d "$c/apps" ] || continue
    n=$((n + 1))
    d=$out/$(printf %03d $n)-golden-$(basename "$c")
    mkdir -p "$d/native" "$d/quadlet" "$d/early" "$d/late"
    chmod -R a+rwX "$d"
    echo "$c (berth-generator)" > "$d/origin"
    dirs=$PWD/$c/apps
    [ -d "$c/vendor" ] && dirs=$dirs:$PWD/$c/vendor
    conf=$PWD/$c/berth.conf
    [ -f "$conf" ] || conf=/nonexistent/berth.conf
    env_=(env -i PATH=/usr/bin:/bin BERTH_APPS_DIRS="$dirs" BERTH_CONF="$conf")
    if [ -f "$c/scope" ] && [ "$(cat "$c/scope")" = user ]; then
      scope=user; env_+=(SYSTEMD_SCOPE=user "${_rs_user_env[@]}")
    else
      scope=system; env_+=(SYSTEMD_SCOPE=system)
    fi
    echo $scope > "$d/scope"
    # As nobody, so that the generator logs to stderr, not the host's /dev/kmsg.
    # What it logs is check-golden's business (bad apps are part of some cases).
    if ! "${env_[@]}" setpriv --reuid=65534 --regid=65534 --clear-groups \
         "$GENERATOR" "$d/native" "$d/early" "$d/late" >/dev/null 2>"$d/generator.log"; then
      echo "FAIL $c: berth-generator failed"; sed 's/^/    /' "$d/generator.log"; bad=1; continue
    fi
    ids=()
    for m in "$d"/native/berth-*.target; do
      [ -e "$m" ] || continue
      m=${m##*/berth-}; ids+=("${m%.target}")
    done
    berth=("${env_[@]}" "$BERTH")
    [ $scope = user ] && berth+=(--user)
    for m in "${ids[@]}"; do
      refused=$(awk -v c="$(basename "$c")" -v a="$m" '$1 == c && $2 == a' tests/quadlet/refused-golden.list)
      if "${berth[@]}" render --format=quadlet --out "$d/quadlet" "$m" 2>"$d/quadlet.log"; then
        [ -z "$refused" ] && continue
        echo "FAIL $c: app '$m' renders as Quadlet, but tests/quadlet/refused-golden.list says it must be refused"; bad=1
      elif [ -z "$refused" ]; then
        echo "FAIL $c: berth render --format=quadlet $m failed:"; sed 's/^/    /' "$d/quadlet.log"; bad=1
      fi
    done
  done
  return $bad
}
