"""glz: the offline engine and command line of genomics-landing-zone."""
