-- The W3C traceparent of the StartCampaign that created a campaign (docs/campaigns.md, "Traces"):
-- dispatch starts its activities under it, so a campaign's sends and outcomes join that trace.
ALTER TABLE campaigns ADD COLUMN traceparent text;
