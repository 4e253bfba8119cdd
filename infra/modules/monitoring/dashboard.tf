locals {
  api_metric      = ["AWS/ApiGateway", "ApiName", var.api_name, "Stage", var.api_stage_name]
  function_metric = ["AWS/Lambda", "FunctionName", var.function_name]
  worker_metric   = ["AWS/Lambda", "FunctionName", var.worker_function_name]

  dashboard_widgets = [
    { title = "Requests", stat = "Sum", metrics = [[local.api_metric[0], "Count", local.api_metric[1], local.api_metric[2], local.api_metric[3], local.api_metric[4]]] },
    {
      title = "Latency (ms)", stat = "p50"
      metrics = [
        for stat in ["p50", "p90", "p99"] : [local.api_metric[0], "Latency", local.api_metric[1], local.api_metric[2], local.api_metric[3], local.api_metric[4], { stat = stat, label = "API ${stat}" }]
      ]
    },
    {
      title = "Errors by code", stat = "Sum"
      metrics = concat(
        [for name in ["4XXError", "5XXError"] : [local.api_metric[0], name, local.api_metric[1], local.api_metric[2], local.api_metric[3], local.api_metric[4]]],
        [for code in local.error_codes : [var.metrics_namespace, "Failures", "environment", var.environment, "code", code, { label = code }]],
      )
    },
    {
      title   = "Function errors and throttles", stat = "Sum"
      metrics = [for name in ["Errors", "Throttles"] : [local.function_metric[0], name, local.function_metric[1], local.function_metric[2]]]
    },
    {
      title   = "Concurrency", stat = "Maximum"
      metrics = [[local.function_metric[0], "ConcurrentExecutions", local.function_metric[1], local.function_metric[2]]]
    },
    {
      title   = "Files written by format", stat = "Sum"
      metrics = [for format in local.file_formats : [var.metrics_namespace, "FilesWritten", "environment", var.environment, "format", format, { label = format }]]
    },
    {
      title   = "Bytes written by format", stat = "Sum"
      metrics = [for format in local.file_formats : [var.metrics_namespace, "BytesWritten", "environment", var.environment, "format", format, { label = format }]]
    },
    {
      title = "Jobs: worker runs, errors, jobs ended failed or abandoned, datasets ended failed", stat = "Sum"
      metrics = concat(
        [for name in ["Invocations", "Errors", "Throttles"] : [local.worker_metric[0], name, local.worker_metric[1], local.worker_metric[2], { label = "worker ${name}" }]],
        [for name in ["JobsFailed", "JobsAbandoned", "DatasetsFailed"] : [var.metrics_namespace, name, "environment", var.environment, { label = name }]],
      )
    },
    {
      title = "Jobs queue: waiting, in flight, dead-lettered", stat = "Maximum"
      metrics = [
        ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", var.jobs_queue_name, { label = "jobs waiting" }],
        ["AWS/SQS", "ApproximateNumberOfMessagesNotVisible", "QueueName", var.jobs_queue_name, { label = "jobs in flight" }],
        ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", var.jobs_dead_letter_queue_name, { label = "dead-lettered waiting" }],
        ["AWS/SQS", "ApproximateNumberOfMessagesNotVisible", "QueueName", var.jobs_dead_letter_queue_name, { label = "dead-lettered in flight" }],
      ]
    },
    {
      title   = "Oldest job waiting (s)", stat = "Maximum"
      metrics = [["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", var.jobs_queue_name, { label = "oldest job" }]]
    },
    {
      title = "Generation and upload time p99 (ms)", stat = "p99"
      metrics = [for pair in setproduct(local.file_formats, ["GenerationTime", "UploadTime"]) :
        [var.metrics_namespace, pair[1], "environment", var.environment, "format", pair[0], { label = "${pair[1]} ${pair[0]}" }]
      ]
    },
  ]

  dashboard = {
    widgets = concat(
      [{
        type   = "alarm"
        x      = 0
        y      = 0
        width  = 24
        height = 3
        properties = {
          title  = "Alarms"
          alarms = [for alarm in aws_cloudwatch_metric_alarm.this : alarm.arn]
        }
      }],
      [for index, widget in local.dashboard_widgets : {
        type   = "metric"
        x      = (index % 2) * 12
        y      = 3 + floor(index / 2) * 6
        width  = 12
        height = 6
        properties = {
          title   = widget.title
          region  = local.region
          view    = "timeSeries"
          stat    = widget.stat
          period  = 300
          metrics = widget.metrics
        }
      }],
    )
  }
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.name
  dashboard_body = jsonencode(local.dashboard)
}
