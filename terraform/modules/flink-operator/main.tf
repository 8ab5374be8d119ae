# The operator from its own Helm repository, with its webhook (validates FlinkDeployments on apply).
# The webhook needs cert-manager; without it set webhook.create=false.
resource "helm_release" "this" {
  name             = "flink-kubernetes-operator"
  repository       = "https://downloads.apache.org/flink/flink-kubernetes-operator-${var.chart_version}/"
  chart            = "flink-kubernetes-operator"
  version          = var.chart_version
  namespace        = var.namespace
  create_namespace = true
  atomic           = true
  timeout          = 600

  values = [yamlencode({
    watchNamespaces = var.watch_namespaces
    # The project brings its own service account and role for the JobManager (k8s/base).
    jobServiceAccount = { create = false }
    rbac              = { jobRole = { create = false }, jobRoleBinding = { create = false } }
    webhook           = { create = true }
    defaultConfiguration = {
      create = true
      append = true
      "config.yaml" = yamlencode({
        "kubernetes.operator.reconcile.interval"        = "30 s"
        "kubernetes.operator.savepoint.history.max.age" = "7 d"
      })
    }
  })]
}
