# Sourced by test.sh: apt_get ARGS... runs apt-get, waiting for the package manager's lock
# when another install holds it (a fresh machine runs its own updates at first boot)
# instead of failing.  apt-get waits for the dpkg lock itself (DPkg::Lock::Timeout); the
# lock of `apt-get update` (the package lists) it does not wait for, so a failure that names
# a lock is tried again, until APT_LOCK_WAIT seconds have passed.
APT_LOCK_WAIT="${APT_LOCK_WAIT:-600}"
APT_LOCK_POLL="${APT_LOCK_POLL:-5}"

apt_get() {
  local deadline=$((SECONDS + APT_LOCK_WAIT)) err
  while ! err="$(DEBIAN_FRONTEND=noninteractive apt-get -qq -o "DPkg::Lock::Timeout=$APT_LOCK_WAIT" "$@" 2>&1 >/dev/null)"; do
    if [ "$SECONDS" -ge "$deadline" ] || ! grep -qi "lock" <<<"$err"; then
      printf '%s\n' "$err" >&2
      return 1
    fi
    echo "apt-get $1: another install holds the lock; waiting for it" >&2
    sleep "$APT_LOCK_POLL"
  done
}
