{{/* Names and labels. */}}
{{- define "mallbots.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "mallbots.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "mallbots.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mallbots.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "mallbots.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "mallbots.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: mallbots
{{- end -}}

{{/* Labels of one component; call with (dict "root" $ "component" "gateway" "tier" "gateway"). */}}
{{- define "mallbots.componentSelector" -}}
{{ include "mallbots.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
mallbots.io/tier: {{ .tier }}
{{- end -}}

{{- define "mallbots.componentLabels" -}}
{{ include "mallbots.labels" .root }}
app.kubernetes.io/component: {{ .component }}
mallbots.io/tier: {{ .tier }}
{{- end -}}

{{- define "mallbots.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.digest -}}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* The ServiceAccount of one component. */}}
{{- define "mallbots.serviceAccountName" -}}
{{- printf "%s-%s" (include "mallbots.fullname" .root) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The enabled module names, sorted, comma-separated. */}}
{{- define "mallbots.enabledModules" -}}
{{- $names := list -}}
{{- range $name, $module := .Values.modules -}}
{{- if $module.enabled -}}{{- $names = append $names $name -}}{{- end -}}
{{- end -}}
{{- join "," (sortAlpha $names) -}}
{{- end -}}

{{/*
The backend components as YAML: in mode monolith one "backend" hosting every enabled module, in
mode services one per enabled module with moduleDefaults under its own settings.
*/}}
{{- define "mallbots.backendComponents" -}}
{{- $components := dict -}}
{{- if eq .Values.mode "monolith" -}}
{{- $backend := deepCopy .Values.backend -}}
{{- $env := dict -}}
{{- $extraEnv := list -}}
{{- $extraEnvFrom := list -}}
{{- range $name, $module := .Values.modules -}}
{{- if $module.enabled -}}
{{- $env = merge $env (default dict $module.env) -}}
{{- $extraEnv = concat $extraEnv (default list $module.extraEnv) -}}
{{- $extraEnvFrom = concat $extraEnvFrom (default list $module.extraEnvFrom) -}}
{{- end -}}
{{- end -}}
{{- $_ := set $backend "env" (merge (default dict $backend.env) $env) -}}
{{- $_ := set $backend "extraEnv" (concat (default list $backend.extraEnv) $extraEnv) -}}
{{- $_ := set $backend "extraEnvFrom" (concat (default list $backend.extraEnvFrom) $extraEnvFrom) -}}
{{- $_ := set $backend "modules" (include "mallbots.enabledModules" .) -}}
{{- $_ := set $components "backend" $backend -}}
{{- else -}}
{{- range $name, $module := .Values.modules -}}
{{- if $module.enabled -}}
{{- $component := mergeOverwrite (deepCopy $.Values.moduleDefaults) (deepCopy $module) -}}
{{- $_ := set $component "modules" $name -}}
{{- $_ := set $component "port" $.Values.backend.port -}}
{{- if not (hasKey $component "terminationGracePeriodSeconds") -}}
{{- $_ := set $component "terminationGracePeriodSeconds" $.Values.backend.terminationGracePeriodSeconds -}}
{{- end -}}
{{- if not (hasKey $component "preStopSleepSeconds") -}}
{{- $_ := set $component "preStopSleepSeconds" $.Values.backend.preStopSleepSeconds -}}
{{- end -}}
{{- $_ := set $components $name $component -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toYaml $components -}}
{{- end -}}

{{/* The URL of the component that serves a module. */}}
{{- define "mallbots.moduleUrl" -}}
{{- if eq .root.Values.mode "monolith" -}}
{{- printf "http://%s-backend:%v" (include "mallbots.fullname" .root) .root.Values.backend.port -}}
{{- else -}}
{{- printf "http://%s-%s:%v" (include "mallbots.fullname" .root) .module .root.Values.backend.port -}}
{{- end -}}
{{- end -}}

{{/* MALLBOTS_SERVICE_URLS: name=url for every enabled module. */}}
{{- define "mallbots.serviceUrls" -}}
{{- $pairs := list -}}
{{- range (splitList "," (include "mallbots.enabledModules" .)) -}}
{{- $pairs = append $pairs (printf "%s=%s" . (include "mallbots.moduleUrl" (dict "root" $ "module" .))) -}}
{{- end -}}
{{- join "," $pairs -}}
{{- end -}}

{{- define "mallbots.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .root.Values.secrets.existingSecret }}
      key: {{ .key }}
{{- end -}}

{{/*
MALLBOTS_JWT_ALGORITHMS: auth.algorithms, plus HS256 when secrets.jwtSecretKey is set (the
gateway refuses any algorithm not listed, so a shared secret alone would verify no token).
*/}}
{{- define "mallbots.jwtAlgorithms" -}}
{{- $algorithms := list -}}
{{- range splitList "," .Values.auth.algorithms -}}
{{- if trim . -}}{{- $algorithms = append $algorithms (trim .) -}}{{- end -}}
{{- end -}}
{{- if and .Values.secrets.jwtSecretKey (not (has "HS256" $algorithms)) -}}
{{- $algorithms = append $algorithms "HS256" -}}
{{- end -}}
{{- join "," $algorithms -}}
{{- end -}}

{{/* MALLBOTS_DATABASE_URL_<MODULE> of the given modules (comma-separated) that have their own server. */}}
{{- define "mallbots.moduleDatabaseEnv" -}}
{{- range (splitList "," .modules) -}}
{{- $module := index $.root.Values.modules . -}}
{{- if and $module $module.database $module.database.existingSecret }}
- name: MALLBOTS_DATABASE_URL_{{ upper . }}
  valueFrom:
    secretKeyRef:
      name: {{ $module.database.existingSecret }}
      key: {{ default "DATABASE_URL" $module.database.key }}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* name: value settings, then extraEnv entries. */}}
{{- define "mallbots.extraEnv" -}}
{{- range $name, $value := .env }}
- name: {{ $name }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- with .extraEnv }}
{{ toYaml . }}
{{- end -}}
{{- end -}}

{{- define "mallbots.podSecurity" -}}
automountServiceAccountToken: {{ .Values.serviceAccount.automountToken }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Zone then node spread of one component; call with the componentSelector dict. */}}
{{- define "mallbots.topologySpread" -}}
{{- if .root.Values.topologySpread.enabled }}
topologySpreadConstraints:
  {{- range list "topology.kubernetes.io/zone" "kubernetes.io/hostname" }}
  - maxSkew: {{ $.root.Values.topologySpread.maxSkew }}
    topologyKey: {{ . }}
    whenUnsatisfiable: {{ $.root.Values.topologySpread.whenUnsatisfiable }}
    labelSelector:
      matchLabels:
        {{- include "mallbots.componentSelector" $ | nindent 8 }}
  {{- end }}
{{- end }}
{{- end -}}

{{/* The probes of a component on its HTTP port. */}}
{{- define "mallbots.probes" -}}
startupProbe:
  httpGet: {path: /healthz, port: http}
  periodSeconds: {{ .Values.probes.startup.periodSeconds }}
  failureThreshold: {{ .Values.probes.startup.failureThreshold }}
livenessProbe:
  httpGet: {path: /healthz, port: http}
  periodSeconds: {{ .Values.probes.liveness.periodSeconds }}
  timeoutSeconds: {{ .Values.probes.liveness.timeoutSeconds }}
  failureThreshold: {{ .Values.probes.liveness.failureThreshold }}
readinessProbe:
  httpGet: {path: /readyz, port: http}
  periodSeconds: {{ .Values.probes.readiness.periodSeconds }}
  timeoutSeconds: {{ .Values.probes.readiness.timeoutSeconds }}
  failureThreshold: {{ .Values.probes.readiness.failureThreshold }}
{{- end -}}

{{/*
The preStop pause of a container: the pod, already out of its Service's endpoints (and being
deregistered from the ALB's target group), keeps serving for `seconds` before it gets SIGTERM, so
no new request reaches a closed listener. The sleep action needs no binary in the image
(Kubernetes >= 1.30, the chart's kubeVersion). 0: no hook. Call with
(dict "component" "gateway" "seconds" N "grace" terminationGracePeriodSeconds).
*/}}
{{- define "mallbots.lifecycle" -}}
{{- $seconds := int (default 0 .seconds) -}}
{{- if gt $seconds 0 -}}
{{- if ge $seconds (int .grace) -}}
{{- fail (printf "%s: preStopSleepSeconds (%d) must be below terminationGracePeriodSeconds (%d), which also bounds the shutdown after it" .component $seconds (int .grace)) -}}
{{- end }}
lifecycle:
  preStop:
    sleep:
      seconds: {{ $seconds }}
{{- end -}}
{{- end -}}

{{/* The writable /tmp of a read-only root filesystem. */}}
{{- define "mallbots.tmpVolume" -}}
volumes:
  - name: tmp
    emptyDir:
      sizeLimit: 64Mi
{{- end -}}

{{- define "mallbots.tmpMount" -}}
volumeMounts:
  - name: tmp
    mountPath: /tmp
{{- end -}}
