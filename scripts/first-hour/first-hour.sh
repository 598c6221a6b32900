#!/usr/bin/env bash
# The README's "First hour" walkthrough, exactly as the README shows it (a test runs it).
# Needs a running `sandan serve` (SANDAN_URL, default http://127.0.0.1:8000) on this machine.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export SANDAN_URL=${SANDAN_URL:-http://127.0.0.1:8000}
DATA=${SANDAN_DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/sandan}
ADMIN=$(cat "$DATA/admin-token")      # the operator's token: `sandan serve` prints where it is
RUN=${RUN:-$(date +%s)}               # each run its own party codes and document numbers
WORK=${WORK:-$(mktemp -d)}            # keys, documents and the bundle of this run
cd "$WORK"
field() { python3 -c "import json, sys; print(json.load(sys.stdin)$1)"; }
call() { curl -sS --fail-with-body -H "Content-Type: application/json" "$@"; echo; }

# 1. The operator registers the three parties of a trade, plus customs and a bank; each
#    party makes its own key (sandan never sees it) and registers the public half.
register() {  # CODE NAME ROLE [chainAccount] -> the party's API key
  call -X POST "$SANDAN_URL/parties" -H "Authorization: Bearer $ADMIN" \
    -d "{\"code\": \"$1\", \"name\": \"$2\", \"roles\": [\"$3\"], \"chainAccount\": ${4:-false}}" |
    field '["apiKey"]'
}
PLATFORM=$(register "EBP$RUN" "杭州跨境优选电子商务有限公司" platform)
PAYER=$(register "PAY$RUN" "杭州安付支付有限公司" payment)
CARRIER=$(register "LOG$RUN" "杭州顺达国际物流有限公司" logistics)
CUSTOMS=$(register "CUS$RUN" "杭州海关 Hangzhou Customs" customs true)
BANK=$(register "BNK$RUN" "中国银行浙江省分行 Bank of China Zhejiang" bank true)

sandan keygen --alg ed25519 -o platform.key
sandan keygen --alg es256 -o payer.key
sandan keygen --alg sm2 -o carrier.key
SANDAN_API_KEY=$PLATFORM sandan register-key --key platform.key --party "EBP$RUN" --key-id "ebp-$RUN"
SANDAN_API_KEY=$PAYER sandan register-key --key payer.key --party "PAY$RUN" --key-id "pay-$RUN"
SANDAN_API_KEY=$CARRIER sandan register-key --key carrier.key --party "LOG$RUN" --key-id "log-$RUN"

# 2. Each party signs and submits its own document: the order, the payment, the waybill.
for doc in order payment waybill harvest; do sed "s/@RUN@/$RUN/g" "$HERE/$doc.json" > "$doc.json"; done
SANDAN_API_KEY=$PLATFORM sandan submit --key platform.key --party "EBP$RUN" --key-id "ebp-$RUN" \
  --type order order.json
SANDAN_API_KEY=$PAYER sandan submit --key payer.key --party "PAY$RUN" --key-id "pay-$RUN" \
  --type payment payment.json
SANDAN_API_KEY=$CARRIER sandan submit --key carrier.key --party "LOG$RUN" --key-id "log-$RUN" \
  --type waybill --json waybill.json > submitted.json
TRADE=$(field '[0]["tradeId"]' < submitted.json)

# 3. The verdict: the three documents compared rule by rule, anchored on chain.
SANDAN_API_KEY=$PLATFORM sandan verdict "$TRADE" --wait

# 4. Customs releases the goods (放行), a contract call from its own chain account.
call -X POST "$SANDAN_URL/customs/trades/$TRADE/release" -H "Authorization: Bearer $CUSTOMS"

# 5. A bank fetches the trade's authenticity bundle and checks it against the chain alone.
call "$SANDAN_URL/banks/trades/$TRADE/bundle" -H "Authorization: Bearer $BANK" > bundle.json
sandan verify bundle.json

# 6. A farm records a harvest (an EPCIS event); the shopper's page shows it, verified on chain.
FARM=$(register "FARM$RUN" "信丰县脐橙专业合作社 Xinfeng Navel Orange Cooperative" producer)
call -X PUT "$SANDAN_URL/parties/FARM$RUN/locations" -H "Authorization: Bearer $ADMIN" \
  -d '{"glns": ["6909990000011"]}'
call -X PUT "$SANDAN_URL/parties/FARM$RUN/company-prefixes" -H "Authorization: Bearer $ADMIN" \
  -d '{"prefixes": ["6909990"], "transfer": true}'
sandan keygen --alg ed25519 -o farm.key
SANDAN_API_KEY=$FARM sandan register-key --key farm.key --party "FARM$RUN" --key-id "farm-$RUN"
sandan sign --key farm.key --party "FARM$RUN" --key-id "farm-$RUN" --type epcis-event harvest.json \
  > harvest.signed.json
call -X POST "$SANDAN_URL/capture" -H "Authorization: Bearer $FARM" -d @harvest.signed.json
sandan verify-lot "$SANDAN_URL/01/06909990000011/10/FH$RUN" --wait
echo "open $SANDAN_URL/01/06909990000011/10/FH$RUN in a browser"
