"""Official densities of health professionals (Assurance Maladie): ``figures`` reads them (sums over
sums for régions and France), ``pages`` shows them (key-figure card, section, ranking page)."""
