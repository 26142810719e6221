"""Personal data protection: field and evidence encryption, keyed lookup hashes, masking."""
