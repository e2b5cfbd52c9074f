{{/*
Naming and labels, following the conventions of `helm create`. Components are: generator, raw-ingest,
cep-ingest, cep, exporter; `$comp` below is a dict {"root": $, "name": "raw-ingest", "values": .Values.rawIngest}.
*/}}

{{- define "tslake.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "tslake.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "tslake.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Common labels of every object. */}}
{{- define "tslake.labels" -}}
helm.sh/chart: {{ include "tslake.chart" . }}
{{ include "tslake.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tslake
{{- end }}

{{- define "tslake.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tslake.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Per component: "<fullname>-<component>", its labels and selector labels. */}}
{{- define "tslake.componentName" -}}
{{- printf "%s-%s" (include "tslake.fullname" .root) .name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "tslake.componentLabels" -}}
{{ include "tslake.labels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end }}

{{- define "tslake.componentSelectorLabels" -}}
{{ include "tslake.selectorLabels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end }}

{{- define "tslake.serviceAccountName" -}}
{{- if .values.serviceAccount.create }}
{{- default (include "tslake.componentName" .) .values.serviceAccount.name }}
{{- else }}
{{- default "default" .values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "tslake.image" -}}
{{- $root := .root -}}
{{- $tag := .values.image.tag | default $root.Values.image.tag | default $root.Chart.AppVersion -}}
{{- if $root.Values.image.registry -}}
{{- printf "%s/%s:%s" (trimSuffix "/" $root.Values.image.registry) .values.image.repository $tag -}}
{{- else -}}
{{- printf "%s:%s" .values.image.repository $tag -}}
{{- end -}}
{{- end }}

{{/* Environment every container gets: region, endpoint, logging, metrics. */}}
{{- define "tslake.commonEnv" -}}
- name: AWS_REGION
  value: {{ .root.Values.aws.region | quote }}
- name: AWS_DEFAULT_REGION
  value: {{ .root.Values.aws.region | quote }}
{{- with .root.Values.aws.endpointUrl }}
- name: AWS_ENDPOINT_URL
  value: {{ . | quote }}
{{- end }}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: TSLAKE_LOG_LEVEL
  value: {{ .root.Values.logLevel | quote }}
- name: TSLAKE_METRICS_HOST
  value: "0.0.0.0"
- name: TSLAKE_METRICS_PORT
  value: {{ .root.Values.metrics.port | quote }}
{{- end }}

{{/* The component's `env` map (name: value), sorted by name, after the chart's own variables. */}}
{{- define "tslake.extraEnv" -}}
{{- range $name, $value := .values.env }}
- name: {{ $name }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- end }}

{{/* Environment of a KCL consumer (raw-ingest, cep-ingest, cep). Needs .stream and .application too. */}}
{{- define "tslake.consumerEnv" -}}
{{- $kcl := .root.Values.kcl -}}
- name: TSLAKE_CONSUMER_DRIVER
  value: kcl
- name: TSLAKE_STREAM
  value: {{ .stream | quote }}
- name: TSLAKE_APPLICATION_NAME
  value: {{ .application | quote }}
- name: TSLAKE_WORKER_ID
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: TSLAKE_INITIAL_POSITION
  value: {{ $kcl.initialPosition | quote }}
- name: TSLAKE_METRICS_LEVEL
  value: {{ $kcl.metricsLevel | quote }}
- name: TSLAKE_SHUTDOWN_GRACE_MILLIS
  value: {{ $kcl.shutdownGraceMillis | int64 | quote }}
- name: TSLAKE_JAVA_HEAP
  value: {{ .values.javaHeap | quote }}
{{- end }}

{{/* The pod's security context, /tmp and scheduling: shared by every workload. */}}
{{- define "tslake.podCommon" -}}
{{- $root := .root -}}
serviceAccountName: {{ include "tslake.serviceAccountName" . }}
# The services never call the Kubernetes API; IRSA uses its own projected token.
automountServiceAccountToken: false
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
securityContext:
  {{- toYaml $root.Values.podSecurityContext | nindent 2 }}
{{- with $root.Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if and $root.Values.spreadAcrossZones (ne .name "exporter") }}
# Replicas of a component prefer different zones, so one zone outage leaves the others reading.
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: topology.kubernetes.io/zone
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "tslake.componentSelectorLabels" . | nindent 8 }}
{{- end }}
{{- end }}

{{- define "tslake.podMetadata" -}}
labels:
  {{- include "tslake.componentSelectorLabels" . | nindent 2 }}
  {{- with .root.Values.podLabels }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- with .root.Values.podAnnotations }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{- define "tslake.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .root.Values.tmpSizeLimit }}
{{- end }}

{{/*
The consumer's grace period must outlast the supervisor's wait (shutdownGraceMillis + 5 s, see
src/tslake/consumer/kcl/daemon.py), or Kubernetes kills the JVM before the processors checkpoint.
*/}}
{{- define "tslake.consumerGracePeriod" -}}
{{- $needed := add (div (add .root.Values.kcl.shutdownGraceMillis 999) 1000) 5 -}}
{{- if le (int .values.terminationGracePeriodSeconds) (int $needed) -}}
{{- fail (printf "%s.terminationGracePeriodSeconds (%d) must exceed kcl.shutdownGraceMillis/1000 + 5 s = %d s, or pods are killed before they checkpoint" .key (int .values.terminationGracePeriodSeconds) (int $needed)) -}}
{{- end -}}
{{- .values.terminationGracePeriodSeconds -}}
{{- end }}

{{/* raw-ingest / cep-ingest: which table, in which layout. Context: dict root, layout, table. */}}
{{- define "tslake.ingestEnv" -}}
- name: TSLAKE_TABLE_LAYOUT
  value: {{ .layout | quote }}
- name: TSLAKE_TIMESTREAM_DATABASE
  value: {{ .root.Values.names.timestreamDatabase | quote }}
- name: TSLAKE_TIMESTREAM_TABLE
  value: {{ .table | quote }}
- name: TSLAKE_LAKE_BUCKET
  value: {{ .root.Values.names.lakeBucket | quote }}
{{- end }}

{{/* cep: where matches go, its state table (created by the CDK data stack, so not by the service). */}}
{{- define "tslake.cepEnv" -}}
- name: TSLAKE_CEP_STREAM
  value: {{ .root.Values.names.cepStream | quote }}
- name: TSLAKE_LAKE_BUCKET
  value: {{ .root.Values.names.lakeBucket | quote }}
- name: TSLAKE_STATE_TABLE
  value: {{ .root.Values.names.cepStateTable | quote }}
- name: TSLAKE_CREATE_STATE_TABLE
  value: "false"
- name: TSLAKE_ALLOWED_LATENESS_MS
  value: {{ .values.allowedLatenessMillis | int64 | quote }}
{{- end }}

{{/* The TCP port of a URL: explicit, else 443 for https and 80 for http. */}}
{{- define "tslake.urlPort" -}}
{{- $url := urlParse . -}}
{{- if contains ":" $url.host -}}
{{- last (splitList ":" $url.host) -}}
{{- else if eq $url.scheme "https" -}}
443
{{- else -}}
80
{{- end -}}
{{- end }}
