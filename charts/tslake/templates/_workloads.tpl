{{/*
A KCL consumer Deployment (raw-ingest, cep-ingest, cep). Context: dict with
  root, name (component), key (values key, for messages), values, subcommand, stream, application,
  env (extra YAML env entries, already rendered).
The container runs `tini -- tslake <subcommand>`: tini is PID 1 and passes SIGTERM to the supervisor,
which forwards it to the MultiLangDaemon JVM so the processors checkpoint before exit.
*/}}
{{- define "tslake.consumerDeployment" -}}
{{- $root := .root -}}
{{- $v := .values -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "tslake.componentName" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "tslake.componentLabels" . | nindent 4 }}
spec:
  replicas: {{ $v.replicaCount }}
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    rollingUpdate:
      # Start the new worker first; it takes leases over as the old one checkpoints and stops.
      maxSurge: 1
      maxUnavailable: 0
  selector:
    matchLabels:
      {{- include "tslake.componentSelectorLabels" . | nindent 6 }}
  template:
    metadata:
      {{- $meta := include "tslake.podMetadata" . | fromYaml }}
      {{- $_ := set $meta "annotations" (merge (dict "checksum/probes" (include (print $root.Template.BasePath "/probes-configmap.yaml") $root | sha256sum)) ($meta.annotations | default dict)) }}
      {{- toYaml $meta | nindent 6 }}
    spec:
      {{- include "tslake.podCommon" . | nindent 6 }}
      terminationGracePeriodSeconds: {{ include "tslake.consumerGracePeriod" . }}
      containers:
        - name: {{ .name }}
          image: {{ include "tslake.image" . | quote }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          command: ["/usr/bin/tini", "--", "tslake", {{ .subcommand | quote }}]
          env:
            {{- include "tslake.commonEnv" . | nindent 12 }}
            {{- include "tslake.consumerEnv" . | nindent 12 }}
            {{- .env | nindent 12 }}
            {{- if .values.env }}{{ include "tslake.extraEnv" . | nindent 12 }}{{ end }}
          ports:
            - name: metrics
              containerPort: {{ $root.Values.metrics.port }}
              protocol: TCP
          # The metrics server starts before the JVM: it answering means the supervisor is up.
          startupProbe:
            httpGet: {path: /metrics, port: metrics}
            periodSeconds: 5
            failureThreshold: 24
          readinessProbe:
            httpGet: {path: /metrics, port: metrics}
            periodSeconds: 10
            failureThreshold: 3
          # A stalled KCL worker logs nothing: restart it when it owns shards but has completed no batch
          # for kcl.maxSecondsSinceLastBatch (tslake_consumer_last_successful_batch_timestamp_seconds).
          livenessProbe:
            exec:
              command:
                - python
                - /etc/tslake/probes/consumer_liveness.py
                - --port={{ $root.Values.metrics.port }}
                - --max-seconds={{ $root.Values.kcl.maxSecondsSinceLastBatch }}
            periodSeconds: 30
            timeoutSeconds: 10
            failureThreshold: 3
          resources:
            {{- toYaml $v.resources | nindent 12 }}
          securityContext:
            {{- toYaml $root.Values.securityContext | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            - name: probes
              mountPath: /etc/tslake/probes
              readOnly: true
      volumes:
        {{- include "tslake.tmpVolume" . | nindent 8 }}
        - name: probes
          configMap:
            name: {{ include "tslake.fullname" $root }}-probes
            defaultMode: 0444
{{- end }}

{{/* The headless metrics Service of a long-running component (also the generator StatefulSet's serviceName). */}}
{{- define "tslake.metricsService" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "tslake.componentName" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "tslake.componentLabels" . | nindent 4 }}
spec:
  clusterIP: None
  selector:
    {{- include "tslake.componentSelectorLabels" . | nindent 4 }}
  ports:
    - name: metrics
      port: {{ .root.Values.metrics.port }}
      targetPort: metrics
      protocol: TCP
{{- end }}

{{- define "tslake.serviceAccount" -}}
{{- if .values.serviceAccount.create }}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "tslake.serviceAccountName" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "tslake.componentLabels" . | nindent 4 }}
  {{- $annotations := .values.serviceAccount.annotations | default dict }}
  {{- if .values.serviceAccount.roleArn }}
  {{- $annotations = merge (dict "eks.amazonaws.com/role-arn" .values.serviceAccount.roleArn) $annotations }}
  {{- end }}
  {{- with $annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
automountServiceAccountToken: false
{{- end }}
{{- end }}

{{- define "tslake.podDisruptionBudget" -}}
{{- if .values.podDisruptionBudget.enabled }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "tslake.componentName" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "tslake.componentLabels" . | nindent 4 }}
spec:
  maxUnavailable: {{ .values.podDisruptionBudget.maxUnavailable }}
  selector:
    matchLabels:
      {{- include "tslake.componentSelectorLabels" . | nindent 6 }}
{{- end }}
{{- end }}
