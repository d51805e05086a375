"""The review pack: what changed since the last review, actions into and out of the CRM, delivery to each KAM."""
