#!/usr/bin/env bash
# The Service's selector (as the API server holds it) now selects both running frontend pods,
# and the pods' own labels were not bent to fit (the deployment still owns them).
set -euo pipefail
selector=$(kubectl -n ev-svc get service frontend -o go-template='{{range $k, $v := .spec.selector}}{{$k}}={{$v}},{{end}}')
selector=${selector%,}
[ -n "$selector" ]
[ "$(kubectl -n ev-svc get pods -l "$selector" --field-selector=status.phase=Running -o name | wc -l)" = 2 ]
[ "$(kubectl -n ev-svc get deployment frontend -o jsonpath='{.spec.template.metadata.labels.app}')" = frontend ]
[ "$(kubectl -n ev-svc get service frontend -o jsonpath='{.spec.ports[0].targetPort}')" = 8080 ]
