# <service>.<domain> A/AAAA: the distinct addresses of its healthy instances, every one of
# them in each answer, with the order rotated from one query to the next.
source "$(dirname "$0")/lib.sh"
start_srvd

register web a1 '{"address":"127.0.0.10","port":8080}'
register web a2 '{"address":"127.0.0.11","port":8080}'
register web a3 '{"address":"127.0.0.12","port":8080}'
register web a4 '{"address":"127.0.0.10","port":9090}' # same address, another port
register web v1 '{"address":"2001:db8::1","port":8080}'
register web v2 '{"address":"2001:db8::2","port":8080}'

assert_eq "A: each distinct address once" "127.0.0.10
127.0.0.11
127.0.0.12" "$(answers web.svc.internal A)"
assert_eq "AAAA: each distinct address once" "2001:db8::1
2001:db8::2" "$(answers web.svc.internal AAAA)"

# first_of TYPE N: the first address of N successive answers, one per line.
first_of() {
  local i
  for ((i = 0; i < $2; i++)); do
    q +noall +answer web.svc.internal "$1" | awk 'NR == 1 { print $5 }'
  done
}
firsts=$(first_of A 9)
assert_eq "addresses that came first in 9 A answers" "127.0.0.10
127.0.0.11
127.0.0.12" "$(sort -u <<<"$firsts")"
firsts=$(first_of AAAA 6)
assert_eq "addresses that came first in 6 AAAA answers" "2001:db8::1
2001:db8::2" "$(sort -u <<<"$firsts")"

# Over TCP as well.
seen=$(for i in 1 2 3 4 5 6; do q +tcp +noall +answer web.svc.internal A | awk 'NR == 1 { print $5 }'; done | sort -u | wc -l)
assert_eq "distinct first addresses in 6 A answers over TCP" 3 "$seen"

stop_srvd
