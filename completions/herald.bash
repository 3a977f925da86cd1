# bash completion for herald (installed as bash-completion/completions/herald)
_herald() {
    local cur prev words cword
    _init_completion 2>/dev/null || {
        cur="${COMP_WORDS[COMP_CWORD]}"
        prev="${COMP_WORDS[COMP_CWORD-1]}"
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
    }
    local commands="serve publish tail channels history connections presence token check-config probe version"
    local cmd="" i
    for ((i = 1; i < cword; i++)); do
        case "${words[i]}" in
            serve|publish|tail|history|connections|presence|check-config|probe|version) cmd="${words[i]}"; break ;;
            channels)
                if [[ ( "${words[i+1]}" == list || "${words[i+1]}" == inspect || "${words[i+1]}" == latest ) && $((i + 1)) -lt $cword ]]; then
                    cmd="channels ${words[i+1]}"
                else
                    COMPREPLY=($(compgen -W "list inspect latest --help" -- "$cur"))
                    return
                fi
                break ;;
            token)
                if [[ "${words[i+1]}" == create && $((i + 1)) -lt $cword ]]; then
                    cmd="token create"
                else
                    COMPREPLY=($(compgen -W "create --help" -- "$cur"))
                    return
                fi
                break ;;
        esac
    done
    if [[ -z "$cmd" ]]; then
        COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur"))
        return
    fi
    case "$prev" in
        --log-level) COMPREPLY=($(compgen -W "trace debug info warn error off" -- "$cur")); return ;;
        --since) COMPREPLY=($(compgen -W "earliest" -- "$cur")); return ;;
        --url|--public|--internal|--threads|--history-size|--history-ttl|--keepalive|--ws-ping-interval|\
        --ws-max-message-bytes|--max-channels|--outbox-bytes|--max-connections|--max-body-bytes|\
        --max-event-bytes|--event|-e|--idempotency-key|--key|-k|--incr|--count|-n|--jwt-secret|--jwt-audience|--jwt-issuer|\
        --public-channels|--token-cookie|--auth-expiring-notice|--api-key|--token|--sub|--channel|-c|--ttl|\
        --secret|--kid|--aud|--iss|--prefix|--limit|--user|--timeout) return ;;
        --log-format) COMPREPLY=($(compgen -W "text json" -- "$cur")); return ;;
        --broker) COMPREPLY=($(compgen -W "memory redis://" -- "$cur")); return ;;
        --metrics-top-channels|--sse-retry|--max-header-bytes|--request-timeout|--drain-window|--shutdown-timeout|--webhook-url|--webhook-event|--webhook-secret|--webhook-debounce|--webhook-queue-size|--webhook-batch-size|--webhook-timeout|--webhook-retry-min|--webhook-retry-max|--webhook-give-up|--presence-heartbeat-ttl|--occupancy-interval) return ;;
        --internal-host|--allowed-origin|--redis-command-timeout|--redis-ping-interval|--history-max-bytes|\
        --idempotency-window|--max-broker-channels|--max-batch-publishes|--max-internal-connections) return ;;
        --config|--jwt-public-key|--private-key) _filedir 2>/dev/null || COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --alg) COMPREPLY=($(compgen -W "HS256 HS384 HS512 RS256 RS384 RS512 ES256 ES384 ES512" -- "$cur")); return ;;
    esac
    local opts
    case "$cmd" in
        serve) opts="--config --metrics-top-channels --broker --log-format --sse-retry --max-header-bytes --request-timeout --drain-window --shutdown-timeout --public --internal --log-level --threads --history-size --history-ttl --keepalive --ws-ping-interval --ws-max-message-bytes --max-channels --outbox-bytes --max-connections --max-body-bytes --max-event-bytes --jwt-secret --jwt-public-key --jwt-audience --jwt-issuer --public-channels --token-cookie --auth-expiring-notice --api-key --internal-host --allowed-origin --redis-command-timeout --redis-ping-interval --history-max-bytes --idempotency-window --max-broker-channels --max-batch-publishes --max-internal-connections --webhook-url --webhook-event --webhook-secret --webhook-debounce --webhook-queue-size --webhook-batch-size --webhook-timeout --webhook-retry-min --webhook-retry-max --webhook-give-up --presence-heartbeat-ttl --occupancy-interval --help" ;;
        publish) opts="--url --event -e --idempotency-key --key -k --incr --delete --text --json --ndjson --api-key --help" ;;
        tail) opts="--url --since --count -n --json --ws --quiet -q --token --api-key --help" ;;
        "channels list") opts="--prefix --limit --json --url --api-key --help" ;;
        "channels inspect") opts="--json --url --api-key --help" ;;
        "channels latest") opts="--json --url --api-key --help" ;;
        history) opts="--since --limit --json --url --api-key --help" ;;
        connections) opts="--user --limit --json --url --api-key --help" ;;
        presence) opts="users channels --cursor --limit --all --json --url --api-key --help" ;;
        "token create") opts="--sub --channel -c --ttl --secret --private-key --alg --kid --aud --iss --json --help" ;;
        check-config) opts="--json --help"; [[ "$cur" != -* ]] && { _filedir 2>/dev/null || COMPREPLY=($(compgen -f -- "$cur")); return; } ;;
        probe) opts="--ready --live --url --timeout --help" ;;
        version) opts="--json --help" ;;
    esac
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -F _herald herald
