"""What leaves cloudtap: result files (local directory or S3), their signed links, events
and the signed webhooks that announce them."""
