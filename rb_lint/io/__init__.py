"""Files in and out: JSON with positions, documents, loading and kind detection, discovery, baseline."""
